/**
 * Serves the operator console (web/dist, built by scripts/setup.mjs) at /console. Static files
 * only, read once per request from a fixed list of names (no path from the URL reaches the file
 * system). The page's Content-Security-Policy lets it talk to this origin only (HTTP and graphql-ws).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

const DIST = new URL('../../../web/dist/', import.meta.url);
const FILES: Record<string, { file: string; type: string }> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console/console.js.map': { file: 'console.js.map', type: 'application/json' },
  '/console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};
const POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'self'";

/** Answers a /console request and returns true; false for any other path. */
export function serveConsole(request: IncomingMessage, response: ServerResponse): boolean {
  const path = (request.url ?? '').split(/[?#]/)[0] ?? '';
  if (path !== '/console' && !path.startsWith('/console/')) return false;
  const entry = FILES[path];
  if (entry === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    return true;
  }
  readFile(new URL(entry.file, DIST)).then(
    (body) => {
      response.writeHead(200, {
        'content-type': entry.type,
        'content-security-policy': POLICY,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    },
    () => response.writeHead(503, { 'content-type': 'text/plain' }).end('The console is not built: run `npm run setup`.'),
  );
  return true;
}
