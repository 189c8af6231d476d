import { MemoryStore } from '@baton/core';
import { DeferredClaims } from '@baton/core/advanced';
import { conformance, register } from '@baton/core/testing';
import { describe } from 'vitest';
import { it } from 'vitest';

// The claim journal over the reference store: a reopen keeps the rows and loses what was held in memory, as a crash does.
describe('DeferredClaims over MemoryStore conformance', () => {
  register(
    conformance({
      open: async () => new DeferredClaims(new MemoryStore()),
      reopen: async (store) => {
        const reopened = new DeferredClaims((store as DeferredClaims).store);
        await reopened.recover();
        return reopened;
      },
    }),
    { describe, it },
  );
});
