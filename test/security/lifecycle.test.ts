/**
 * Issue 7, lifecycle through the real server: a graceful stop (in-flight requests complete, live
 * sockets close with 1001, the delivery batch is finished or released), SIGTERM on the real entry
 * point, readiness following the database and Redis, instances starting together on one fresh
 * PostgreSQL, and a database error while settling a delivery releasing it instead of leaving it leased.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { readConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { createAddon, createWidget, type HttpReceiver, report, startHttpReceiver, waitFor } from '../delivery/receivers.js';
import { openTestDatabase, startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, subscribe } from '../streams/stream-client.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const rawId = (global: string) => Buffer.from(global, 'base64').toString().split(':')[1] as string;

interface SlowRequest {
  /** Resolves once the server has the request's headers and part of its body. */
  started: Promise<void>;
  /** Sends the rest of the body. */
  finish(): void;
  response: Promise<{ status: number; connection: string | undefined; body: string }>;
}

/** A GraphQL POST whose body arrives in two parts: in flight until `finish()`. */
function slowRequest(url: string, query: string, credential?: string): SlowRequest {
  const body = Buffer.from(JSON.stringify({ query }));
  const split = Math.floor(body.length / 2);
  let finish = () => {};
  let started: Promise<void> = Promise.resolve();
  const response = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    const req = request(`${url}/graphql`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        // The server answers 100 Continue once it has parsed the headers: the request is in flight.
        expect: '100-continue',
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
      },
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    started = new Promise((resolveStarted) => req.once('continue', () => req.write(body.subarray(0, split), () => resolveStarted())));
    req.flushHeaders();
    finish = () => req.end(body.subarray(split));
  });
  return { started, finish, response };
}

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

describe('graceful stop', () => {
  it('in-flight requests all complete, new connections are refused, live sockets close with 1001', async () => {
    const server = await startTestServer({ config: { shutdownGraceMs: 10_000 } });
    try {
      const org = await server.newOrganization();
      const live = connect(server, org.adminToken);
      await new Promise((resolve) => live.client.on('connected', resolve));
      const stream = subscribe(live.client);
      const inFlight = ['Alpha', 'Beta', 'Gamma'].map((name) =>
        slowRequest(
          server.url,
          `mutation { createWidget(input: { name: "${name}" }) { ... on MutationCreateWidgetSuccess { data { id name } } } }`,
          org.adminToken,
        ),
      );
      await Promise.all(inFlight.map((r) => r.started));
      const stopped = server.app.stop();
      expect(await live.closed).toBe(1001);
      expect((await server.app.readiness()).ready).toBe(false);
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
      for (const r of inFlight) r.finish();
      const answers = await Promise.all(inFlight.map((r) => r.response));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.connection).toBe('close');
        expect(JSON.parse(answer.body).data.createWidget.data.name).toMatch(/Alpha|Beta|Gamma/);
      }
      await stopped;
      const widgets = await server.app.database.prisma.widget.findMany({ where: { organizationId: org.organizationId } });
      expect(widgets.map((w) => w.name).sort()).toEqual(['Alpha', 'Beta', 'Gamma']);
      stream.dispose();
    } finally {
      await server.stop();
    }
  });

  it('past SHUTDOWN_GRACE_MS a request that never finishes is cut and the stop completes', async () => {
    const server = await startTestServer({ config: { shutdownGraceMs: 300 } });
    try {
      const stuck = slowRequest(server.url, '{ __typename }');
      await stuck.started;
      await server.app.stop();
      await expect(stuck.response).rejects.toThrow(/socket hang up|ECONNRESET/);
    } finally {
      await server.stop();
    }
  });

  it('releases the deliveries of a batch still sending when the grace is over', async () => {
    const held: { res: import('node:http').ServerResponse }[] = [];
    const hanging: Server = createServer((_req, res) => held.push({ res }));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;
    const server = await startTestServer({ config: { shutdownGraceMs: 300, deliveryPollMs: 50, deliveryTimeoutMs: 20_000 } });
    const prisma = server.app.database.prisma;
    try {
      const org = await server.newOrganization();
      const widgetId = await createWidget(server, org.adminToken, { name: 'Site', addons: true });
      const addonId = await createAddon(server, org.adminToken, {
        kind: 'WEBHOOK',
        name: 'Hanging',
        events: ['ALL_OFFLINE_MESSAGES'],
        config: { webhook: { url: hookUrl, secret: 'a-webhook-secret-of-enough-length' } },
      });
      await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, text: 'Anyone?' });
      await waitFor(() => held.length > 0, 'the webhook call in flight');
      const where = { addonId: rawId(addonId) };
      expect((await prisma.delivery.findFirstOrThrow({ where })).lockedBy).not.toBeNull();
      await server.app.stop();
      const released = await prisma.delivery.findFirstOrThrow({ where });
      expect(released).toMatchObject({ status: 'PENDING', lockedBy: null, lockedUntil: null });
      // Nobody else should pick it up after this test (PostgreSQL pass: one database for all files).
      await prisma.delivery.updateMany({ where, data: { status: 'DEAD' } });
    } finally {
      await server.stop();
      for (const { res } of held) res.destroy();
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});

describe('SIGTERM on the real entry point (src/main.ts)', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('finishes the request in flight, then exits 0', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nb-sigterm-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        DATA_DIR: dataDir,
        DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
        TOKEN_SECRET: 'sigterm-test-secret',
        ANALYTICS_TICK_MS: '0',
        SHUTDOWN_GRACE_MS: '10000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk;
        const match = /notification service on (http:\/\/[^/\s]+)\/graphql/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child?.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${output}`)));
    });
    // PGlite's first start creates an organization right after listening: let it finish first.
    if (!onPostgres) await waitFor(() => output.includes('integrator API key'), 'the first-start organization');
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    const inFlight = slowRequest(url, '{ __typename }');
    await inFlight.started;
    child.kill('SIGTERM');
    await waitFor(() => output.includes('SIGTERM: stopping'), 'the stop to begin');
    inFlight.finish();
    const answer = await inFlight.response;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { __typename: 'Query' } });
    expect(await exited).toBe(0);
    expect(output).toContain('stopped');
  }, 60_000);
});

describe('readiness', () => {
  let proxy: TcpProxy | undefined;
  afterAll(() => proxy?.close());

  it('is 200 while the database answers and 503 once it is gone; /health stays up; answers stay masked', async () => {
    let database: Awaited<ReturnType<typeof openTestDatabase>>;
    if (onPostgres) {
      const url = new URL(process.env.TEST_DATABASE_URL as string);
      proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
      url.host = `127.0.0.1:${proxy.port}`;
      database = await openDatabase({ databaseUrl: url.toString() });
    } else {
      database = await openTestDatabase();
    }
    const server = await startTestServer({ database, config: { production: true } });
    try {
      const org = await server.newOrganization();
      const ready = await get(`${server.url}/readiness`);
      expect(ready).toEqual({ status: 200, json: { ready: true, shuttingDown: false, database: 'up', redis: 'not configured' } });
      // The database goes away: PostgreSQL behind a cut link, PGlite closed (one process, nothing to cut).
      if (proxy) proxy.cut();
      else await database.close();
      const down = await get(`${server.url}/readiness`);
      expect(down).toEqual({ status: 503, json: { ready: false, shuttingDown: false, database: 'down', redis: 'not configured' } });
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      // A request that now fails in the database: masked, with no stack and no SQL.
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.adminToken}` },
        body: JSON.stringify({ query: 'mutation { createWidget(input: { name: "W" }) { __typename } }' }),
      });
      const text = await response.text();
      expect(JSON.parse(text).errors).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
      expect(text).not.toMatch(/stack|at .*\.ts|SELECT|INSERT|"Widget"|prisma|PGlite|ECONN/i);
      if (proxy) {
        proxy.restore();
        await waitFor(async () => (await fetch(`${server.url}/readiness`)).status === 200, 'readiness back');
      }
    } finally {
      await server.stop();
      if (proxy) await database.close();
    }
  });

  it('follows Redis when one is configured', async () => {
    const redis = await startTcpProxy('127.0.0.1', 6379);
    const server = await startTestServer({
      config: { redisUrl: `redis://127.0.0.1:${redis.port}`, redisPrefix: `nb-readiness-${process.pid}-${Date.now()}:` },
    });
    try {
      await waitFor(async () => (await get(`${server.url}/readiness`)).json.redis === 'up', 'redis up');
      redis.cut();
      const down = await get(`${server.url}/readiness`);
      expect(down).toMatchObject({ status: 503, json: { ready: false, database: 'up', redis: 'down' } });
      redis.restore();
      await waitFor(async () => (await get(`${server.url}/readiness`)).status === 200, 'redis back');
    } finally {
      await server.stop();
      await redis.close();
    }
  });
});

describe('a database error while marking a delivery done', () => {
  let server: TestServer;
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startHttpReceiver();
    server = await startTestServer({ config: { deliveryPollMs: 50, deliveryBackoffBaseMs: 1500, deliveryBackoffMaxMs: 1500 } });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('settles the rest of the batch and releases that delivery instead of leaving it leased; it is delivered later', async () => {
    const prisma = server.app.database.prisma;
    const org = await server.newOrganization();
    const widgetId = await createWidget(server, org.adminToken, { name: 'Site', addons: true });
    const hook = (name: string) =>
      createAddon(server, org.adminToken, {
        kind: 'WEBHOOK',
        name,
        events: ['ALL_OFFLINE_MESSAGES'],
        config: { webhook: { url: `${receiver.url}/${name}`, secret: 'a-webhook-secret-of-enough-length' } },
      });
    const good = rawId(await hook('good'));
    const broken = rawId(await hook('broken'));
    // The database refuses to mark the broken addon's delivery DELIVERED (a real error from the server).
    const trigger = `fail_settling_${broken.replace(/-/g, '')}`;
    await prisma.$executeRawUnsafe(`CREATE FUNCTION "${trigger}"() RETURNS trigger AS $$
      BEGIN
        IF NEW.status = 'DELIVERED' AND NEW."addonId" = '${broken}'::uuid THEN RAISE EXCEPTION 'simulated failure'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER "${trigger}" BEFORE UPDATE ON "Delivery" FOR EACH ROW EXECUTE FUNCTION "${trigger}"()`);
    try {
      await report(server, org.apiKey, 'reportOfflineMessage', { widgetId, text: 'Hello?' });
      const row = (addonId: string) => prisma.delivery.findFirstOrThrow({ where: { addonId } });
      await waitFor(async () => (await row(good)).status === 'DELIVERED', 'the good delivery settled');
      await waitFor(() => receiver.requests.some((r) => r.path === '/broken'), 'the broken one sent');
      // Not leased for DELIVERY_LEASE_MS (60 s): released at once, due again after the backoff.
      const released = await waitFor(async () => {
        const current = await row(broken);
        return current.status === 'PENDING' && current.lockedBy === null && current;
      }, 'the broken delivery released');
      expect(released.lockedUntil).toBeNull();
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER "${trigger}" ON "Delivery"`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION "${trigger}"()`);
    }
    await waitFor(async () => (await prisma.delivery.findFirstOrThrow({ where: { addonId: broken } })).status === 'DELIVERED', 'delivered');
    const calls = receiver.requests.filter((r) => r.path === '/broken');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);
  });
});

describe.skipIf(!onPostgres)('several instances starting at once on one fresh PostgreSQL database', () => {
  it('all come up (migrations wait for each other instead of timing out)', async () => {
    const admin = new URL(process.env.TEST_DATABASE_URL as string);
    admin.pathname = '/postgres';
    const name = `nb_concurrent_${Date.now()}_${process.pid}`;
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    try {
      const config = { ...readConfig(), port: 0, databaseUrl: url.toString(), tokenSecret: 'x', analyticsTickMs: 0, redisUrl: undefined };
      const apps = await Promise.all([0, 1, 2].map(() => createApp({ config })));
      try {
        const urls = await Promise.all(apps.map((app) => app.start(0)));
        for (const base of urls) expect((await get(`${base}/readiness`)).status).toBe(200);
        expect(apps.map((app) => app.database.appliedMigrations.length > 0).filter(Boolean)).toHaveLength(1);
      } finally {
        await Promise.all(apps.map((app) => app.stop()));
      }
    } finally {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    }
  }, 120_000);
});
