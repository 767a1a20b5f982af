/**
 * A loopback HTTP receiver that counts every TCP connection made to it, not only complete requests:
 * "zero connections" proves a refused destination was never contacted. Its answer is programmable
 * (status, headers, body) to play a redirecting or failing receiver.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface CountingReceiver {
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  requests: { method: string; path: string; headers: IncomingHttpHeaders; body: string }[];
  answer: Answer;
  close(): Promise<void>;
}

export async function startCountingReceiver(answer: Answer = { status: 200, body: 'ok' }): Promise<CountingReceiver> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(receiver.answer.status, { 'content-type': 'text/plain', ...receiver.answer.headers }).end(receiver.answer.body ?? '');
    });
  });
  server.on('connection', () => {
    receiver.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: CountingReceiver = {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: 0,
    requests: [],
    answer,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
