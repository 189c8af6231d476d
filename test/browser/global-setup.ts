import type { TestProject } from 'vitest/node';
import { startChaosProxy } from '../chaos-proxy.ts';
import { startWranglerDev } from '../wrangler-dev.ts';

/** A live edge for the outbox suite: `wrangler dev`, behind the chaos proxy the tests steer. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const edge = await startWranglerDev();
  const proxy = await startChaosProxy(edge.url);
  project.provide('edge', { url: proxy.url, token: edge.token });
  project.provide('edgeDirect', edge.url); // for reading the ledger without going through the chaos
  return async () => {
    await proxy.close();
    edge.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    edge: { url: string; token: string };
    edgeDirect: string;
  }
}
