import 'fake-indexeddb/auto';
import { conformance, register } from '@baton/core/testing';
import { describe, it } from 'vitest';
import { idbHarness } from './idb-harness.ts';

// IndexedDB in Node (fake-indexeddb): the same suite runs in real Chromium in test/browser/.
describe('IdbStore conformance (fake-indexeddb)', () => {
  register(conformance(idbHarness('conformance')), it);
});
