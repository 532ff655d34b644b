import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A local HTTP server standing in for a remote service (an RIR's RDAP, a validator's VRP
 * export): tests set `handler` per case and read the paths it was asked for in `seen`, so
 * the real client (fetch, timeouts, size caps, parsing) runs against it.
 */
export class HttpStandIn {
  handler: Handler = (_req, res) => res.end();
  readonly seen: string[] = [];
  baseUrl = '';
  private server?: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.seen.push(req.url ?? '');
      this.handler(req, res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** A handler answering `status` with `body` (JSON unless a string). */
export const answer =
  (status: number, body: unknown, type = 'application/json'): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
