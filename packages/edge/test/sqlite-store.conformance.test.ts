import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import type { Store } from '@baton/core';
import { conformance, type StoreHarness } from '@baton/core/testing';
import { describe, it } from 'vitest';
import { SqliteStore } from '../src/sqlite-store.ts';

// Each case runs inside its own Durable Object, on that object's SQLite.
let storage: DurableObjectStorage | undefined;
let opened = 0;
const prefixes = new WeakMap<Store, string>();

const harness: StoreHarness = {
  open: async () => {
    const prefix = `c${++opened}_`;
    const store = new SqliteStore(storage!, { prefix });
    prefixes.set(store, prefix);
    return store;
  },
  // A new store object over the same tables, as after the object restarts.
  reopen: async (store) => {
    const prefix = prefixes.get(store)!;
    const reopened = new SqliteStore(storage!, { prefix });
    prefixes.set(reopened, prefix);
    return reopened;
  },
};

describe('SqliteStore conformance (workerd)', () => {
  for (const group of conformance(harness)) {
    describe(group.name, () => {
      for (const c of group.cases) {
        it(c.name, async () => {
          const stub = env.CONFORMANCE.get(env.CONFORMANCE.idFromName(`${group.name}: ${c.name}`));
          await runInDurableObject(stub, async (_instance, state) => {
            storage = state.storage;
            await c.run();
          });
        });
      }
    });
  }
});
