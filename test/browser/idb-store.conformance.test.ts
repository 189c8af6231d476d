import { conformance, register } from '@baton/core/testing';
import { describe, it } from 'vitest';
import { idbHarness } from '../idb-harness.ts';

// Real IndexedDB, in headless Chromium.
for (const exclusive of [false, true]) {
  describe(`IdbStore conformance (Chromium${exclusive ? ', exclusive writer' : ''})`, () => {
    register(conformance(idbHarness(`conformance-${Date.now().toString(36)}-${exclusive}`, exclusive)), { describe, it });
  });
}
