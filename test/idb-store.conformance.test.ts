import 'fake-indexeddb/auto';
import { conformance, register } from '@baton/core/testing';
import { describe, it } from 'vitest';
import { idbHarness } from './idb-harness.ts';

// IndexedDB in Node (fake-indexeddb): the same suite runs in real Chromium in test/browser/.
for (const exclusive of [false, true]) {
  describe(`IdbStore conformance (fake-indexeddb${exclusive ? ', exclusive writer' : ''})`, () => {
    register(conformance(idbHarness(`conformance-${exclusive}`, exclusive)), { describe, it });
  });
}
