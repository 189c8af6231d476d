import { IdbStore } from '@baton/browser';
import type { Store } from '@baton/core';
import { conformance, register } from '@baton/core/testing';
import { describe, it } from 'vitest';

// Real IndexedDB, in headless Chromium.
let opened = 0;
const names = new WeakMap<Store, string>();
const run = `${Date.now().toString(36)}`;

describe('IdbStore conformance (Chromium)', () => {
  register(
    conformance({
      open: async () => {
        const name = `conformance-${run}-${++opened}`;
        const store = await IdbStore.open({ name });
        names.set(store, name);
        return store;
      },
      reopen: async (store) => {
        const name = names.get(store)!;
        (store as IdbStore).close();
        const reopened = await IdbStore.open({ name });
        names.set(reopened, name);
        return reopened;
      },
      close: async (store) => (store as IdbStore).close(),
    }),
    it,
  );
});
