/**
 * One GraphQL POST over kept-alive node:http connections, for the benches' load generators. Not
 * fetch: undici's fetch cost the load process about a millisecond of CPU per request, and at 300/s
 * on 2 shared cores its queue showed up as latency.
 */
import { Agent, request } from 'node:http';

const keepAlive = new Agent({ keepAlive: true, maxSockets: 256 });

export function post(url: string, apiKey: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: keepAlive,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${apiKey}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
