import { IdbStore } from '@baton/browser';
import type { Store } from '@baton/core';
import type { StoreHarness } from '@baton/core/testing';

/** Conformance harness for `IdbStore`: a fresh database per store, reopened by name. */
export function idbHarness(prefix: string, exclusive = false): StoreHarness {
  let opened = 0;
  const names = new WeakMap<Store, string>();
  return {
    open: async () => {
      const name = `${prefix}-${++opened}`;
      const store = await IdbStore.open({ name, exclusive });
      names.set(store, name);
      return store;
    },
    reopen: async (store) => {
      const name = names.get(store)!;
      (store as IdbStore).close();
      const reopened = await IdbStore.open({ name, exclusive });
      names.set(reopened, name);
      return reopened;
    },
    close: async (store) => (store as IdbStore).close(),
  };
}
