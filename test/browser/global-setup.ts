import type { TestProject } from 'vitest/node';
import { startChaosProxy } from '../chaos-proxy.ts';
import { startCollector } from '../otel-collector.ts';
import { startWranglerDev } from '../wrangler-dev.ts';

/** A live edge for the outbox suite: `wrangler dev`, behind the chaos proxy the tests steer. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const edge = await startWranglerDev();
  const proxy = await startChaosProxy(edge.url);
  // A proxy of its own for test/chaos/network.chaos.test.ts, so it never steers the outbox suite's.
  const chaosProxy = await startChaosProxy(edge.url);
  project.provide('edge', { url: proxy.url, token: edge.token });
  project.provide('chaosEdge', { url: chaosProxy.url, token: edge.token });
  project.provide('edgeDirect', edge.url); // for reading the ledger without going through the chaos
  // The tracing suite's edge (test/browser/trace.test.ts): spans to a collector, behind a chaos proxy of its own.
  const collector = await startCollector();
  const tracedEdge = await startWranglerDev({}, { config: 'test/browser/fixtures/traced-edge/wrangler.toml', vars: { COLLECTOR_URL: collector.url } });
  const tracedProxy = await startChaosProxy(tracedEdge.url);
  project.provide('traced', { url: tracedProxy.url, token: tracedEdge.token, collector: collector.url });
  return async () => {
    await Promise.all([tracedProxy.close(), collector.close()]);
    tracedEdge.stop();
    await proxy.close();
    await chaosProxy.close();
    edge.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    edge: { url: string; token: string };
    chaosEdge: { url: string; token: string };
    edgeDirect: string;
    traced: { url: string; token: string; collector: string };
  }
}
