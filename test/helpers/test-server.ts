/**
 * Starts the real app on a random port over its own database: PGlite in memory by default, or the
 * PostgreSQL named by TEST_DATABASE_URL (.ci/run's second pass). Tests speak HTTP to it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type App, createApp } from '../../src/app.js';
import { type Config, readConfig } from '../../src/config.js';
import { type Database, openDatabase } from '../../src/db/database.js';
import { createApiKey, createOrganization, issueOperatorToken } from '../../src/services/organizations.js';
import type { ResolveHost } from '../../src/services/outbound/outbound-guard.js';

export interface TestServer {
  app: App;
  url: string;
  /**
   * The SQL statements the app sent while serving HTTP requests, for N+1 assertions; clear it with
   * `queries.length = 0`. Statements of background work (delivery worker, schedulers) are left out:
   * they run on their own timers and would make the counts depend on timing.
   */
  queries: string[];
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, credential?: string): Promise<GqlResult<T>>;
  /** A new organization with an admin: each test makes its own so tests never share state. */
  newOrganization(name?: string): Promise<TestOrganization>;
  stop(): Promise<void>;
}

export interface GqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface TestOrganization {
  organizationId: string;
  adminId: string;
  adminToken: string;
  apiKey: string;
}

/**
 * Which HTTP server a piece of work serves. Node publishes every request it parses on this channel
 * just before the request handler runs, in the same synchronous step, so entering the store here
 * tags everything the handler does, down to the statements Prisma logs; work started elsewhere
 * (a worker loop, a timer) keeps its own, empty context.
 */
const servingRequest = new AsyncLocalStorage<{ port: number }>();
subscribe('http.server.request.start', (message) => {
  const address = (message as { server: Server }).server.address();
  servingRequest.enterWith({ port: typeof address === 'object' && address ? address.port : 0 });
});

/** A fresh database for one test file: the migrated PGlite template, or the suite's PostgreSQL. */
export async function openTestDatabase(onQuery?: (sql: string) => void) {
  const templatePath = process.env.TEST_PGLITE_TEMPLATE;
  const pgliteTemplate = templatePath ? new Blob([await readFile(templatePath)]) : undefined;
  return openDatabase({ databaseUrl: process.env.TEST_DATABASE_URL, dataDir: 'memory://', pgliteTemplate, onQuery });
}

export interface TestServerOptions {
  /** Config overrides (delivery poll/backoff, SMTP_URL, data directory…). By default mail goes to .eml
   * files in a temporary directory and the daily-summary scheduler is off (analyticsTickMs 0). */
  config?: Partial<Config>;
  /** An already open database to run on (a restarted service); the caller closes it. */
  database?: Database;
  /** Fake DNS for outbound requests (test/security): never resolve to a non-loopback address. */
  resolveOutboundHost?: ResolveHost;
  /** Listen on this port (a restarted service keeping its address); a free one by default. */
  port?: number;
  /** Captures the app's log lines (set `config.logLevel` too). */
  logStream?: import('pino').DestinationStream;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const queries: string[] = [];
  const config: Config = {
    ...readConfig(),
    port: 0,
    tokenSecret: 'test-secret',
    redisUrl: undefined,
    dataDir: join(tmpdir(), `notification-service-test-${process.pid}`),
    analyticsTickMs: 0,
    // Retention: no expiry on the real clock (tests of it call the scheduler's tick with their own).
    retentionTickMs: 0,
    // The receivers of these tests listen on loopback; test/security turns this off.
    outboundAllowPrivate: true,
    // Test output shows test results: the app logs only when LOG_LEVEL asks (e.g. LOG_LEVEL=debug).
    logLevel: process.env.LOG_LEVEL ?? 'silent',
    ...options.config,
  };
  const ownsDatabase = !options.database;
  let port = -1;
  const database =
    options.database ??
    (await openTestDatabase((sql) => {
      if (servingRequest.getStore()?.port === port) queries.push(sql);
    }));
  const app = await createApp({ config, database, resolveOutboundHost: options.resolveOutboundHost, logStream: options.logStream });
  const url = await app.start(options.port ?? 0);
  port = Number(new URL(url).port);
  const gql: TestServer['gql'] = async (query, variables, credential) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResult<never>;
  };
  return {
    app,
    url,
    queries,
    gql,
    async newOrganization(name = 'Test org') {
      const { organization, admin } = await createOrganization(database.prisma, {
        name,
        adminName: 'Admin',
        adminEmail: 'admin@example.test',
      });
      // Missed-chat escalation (E4, on by default: 30 s) is off in test organizations, so that tests
      // counting events, inbox items or deliveries never see one; test/attention turns it on.
      await database.prisma.organization.update({ where: { id: organization.id }, data: { escalateAfterSeconds: 0 } });
      const { token } = issueOperatorToken(config.tokenSecret ?? 'test-secret', 3600, admin);
      const { key } = await createApiKey(database.prisma, organization.id, 'test');
      return { organizationId: organization.id, adminId: admin.id, adminToken: token, apiKey: key };
    },
    async stop() {
      await app.stop();
      if (ownsDatabase) await database.close();
    },
  };
}

/** Sends a typed document (test/operations → test/generated) and returns its typed result. */
export async function sendTyped<TResult, TVariables>(
  server: TestServer,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  credential?: string,
): Promise<GqlResult<TResult>> {
  return server.gql<TResult>(print(document), variables as Record<string, unknown>, credential);
}

/** The refusal a mutation answered in its result union (no top-level error): `{ __typename, code, field }`. */
export function refusalOf(response: GqlResult<unknown>): { __typename?: string; code?: string; field?: string | null } {
  if (response.errors) throw new Error(`expected a typed refusal, got top-level errors: ${JSON.stringify(response.errors)}`);
  return Object.values((response.data ?? {}) as Record<string, { __typename?: string; code?: string }>)[0] ?? {};
}
