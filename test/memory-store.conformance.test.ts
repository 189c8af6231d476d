import { MemoryStore } from '@baton/core';
import { conformance, register } from '@baton/core/testing';
import { describe, it } from 'vitest';

describe('MemoryStore conformance', () => {
  register(
    conformance({
      open: async () => new MemoryStore(),
      reopen: async (store) => store,
    }),
    { describe, it },
  );
});
