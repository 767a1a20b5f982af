/**
 * GET /metrics in Prometheus' text format: the database gauges are read first (one capped query),
 * then the whole registry is written. With a token, only `Authorization: Bearer <token>` is served
 * (401 otherwise); the separate metrics port (METRICS_PORT) may run without one, its bind address
 * being the protection.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from './logger.js';
import { collectDatabaseGauges, registry } from './metrics.js';

type RawQuery = Parameters<typeof collectDatabaseGauges>[0];

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

export function createMetricsHandler(options: { token: string | undefined; prisma: RawQuery }) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (options.token !== undefined) {
      const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!sameSecret(given, options.token)) {
        log.info({ path: '/metrics' }, 'metrics refused: missing or wrong token');
        response.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain' }).end('unauthorized\n');
        return;
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      await collectDatabaseGauges(options.prisma);
    } catch (error) {
      // The process metrics still help when the database does not answer.
      log.warn({ err: error }, 'metrics: database gauges unavailable');
    }
    const body = await registry.metrics();
    response
      .writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' })
      .end(request.method === 'HEAD' ? undefined : body);
  };
}
