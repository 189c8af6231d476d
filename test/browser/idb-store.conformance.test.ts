import { conformance, register } from '@baton/core/testing';
import { describe, it } from 'vitest';
import { idbHarness } from '../idb-harness.ts';

// Real IndexedDB, in headless Chromium.
describe('IdbStore conformance (Chromium)', () => {
  register(conformance(idbHarness(`conformance-${Date.now().toString(36)}`)), it);
});
