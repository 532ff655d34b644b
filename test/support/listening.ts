import type { AddressInfo } from 'node:net';
import { type TestApp, startApi } from './app.js';

export interface ListeningApi extends TestApp {
  /** Where it listens, e.g. 'http://127.0.0.1:41234': pass it as SANDBOX_BASE_URL to the processes under test. */
  readonly baseUrl: string;
}

/**
 * The API listening on a real ephemeral port of 127.0.0.1, so that RDAP clients reach its
 * sandbox registry over HTTP as they would reach an RIR. The sandbox's data lives in
 * PostgreSQL, so it serves what any other API process of the run writes.
 */
export async function startListeningApi(overrides: Record<string, string> = {}): Promise<ListeningApi> {
  const t = await startApi(overrides);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { ...t, baseUrl: `http://127.0.0.1:${port}` };
}
