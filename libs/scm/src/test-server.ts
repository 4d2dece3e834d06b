import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (request: RecordedRequest, response: ServerResponse, origin: string) => void;

/** A local HTTP server for provider tests; every request is recorded before the handler runs. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let origin = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const request = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', origin), headers: req.headers };
    requests.push(request);
    handler(request, res, origin);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** A `SecretResolver` over a map keyed `secretName/key`. */
export function secretsFrom(values: Record<string, string>): { resolve(name: string, key: string): Promise<string | undefined> } {
  return { resolve: async (name, key) => values[`${name}/${key}`] };
}

/** A port nothing listens on: open a server, note its port, close it. */
export async function closedOrigin(): Promise<string> {
  const server = await startServer(() => {});
  await server.close();
  return server.origin;
}
