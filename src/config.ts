/**
 * Every environment variable the service reads, typed, in one place. The README's settings table
 * mirrors this file.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HostSignInSettings, hostSignInFromEnv } from './auth/host-sign-in.js';

import { checkWindow, DEFAULT_RETENTION, RETENTION_KINDS, RETENTION_SPECS, type RetentionWindows } from './domain/retention-windows.js';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface Config {
  /** HTTP and graphql-ws port. */
  port: number;
  host: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  /** Directory of the embedded database and other local files. */
  dataDir: string;
  /** Signing key of operator tokens; when absent one is generated and stored in the database. */
  tokenSecret: string | undefined;
  /** Lifetime of newly issued operator tokens, in seconds. */
  tokenTtlSeconds: number;
  /** Redis URL for cross-instance live fan-out; absent means in-process only. */
  redisUrl: string | undefined;
  /** Prefix of every Redis channel and key, so several deployments (or test runs) can share one Redis. */
  redisPrefix: string;
  /** Largest number of happenings one batch mutation accepts. */
  maxBatchSize: number;
  logQueries: boolean;
  /** GC_PARALLEL_SCAVENGE=1: V8's helper threads join young-generation collections (observability/gc-tuning.ts). */
  gcParallelScavenge: boolean;
  // Delivery queue (issue 4): email, addons, daily analytics.
  /** SMTP connection URL (smtp(s)://user:pass@host:port); absent writes each email as .eml under dataDir/outbox-mail. */
  smtpUrl: string | undefined;
  /** Sender of every email. */
  mailFrom: string;
  /** How often an idle delivery worker looks for due deliveries, in ms. */
  deliveryPollMs: number;
  /** Deliveries one worker claims and sends at once. */
  deliveryBatchSize: number;
  /** Attempts before a delivery is dead. */
  deliveryMaxAttempts: number;
  /** First retry delay in ms; doubles per attempt, with full jitter, up to deliveryBackoffMaxMs. */
  deliveryBackoffBaseMs: number;
  deliveryBackoffMaxMs: number;
  /** How long a claim lasts: a crashed instance's deliveries are retried once it is over. */
  deliveryLeaseMs: number;
  /** Timeout of one SMTP or HTTP call, in ms. */
  deliveryTimeoutMs: number;
  /** Outbound requests (addons, Help Scout, SMTP) may reach loopback, private and other non-public addresses: tests and local development only. Default off. */
  outboundAllowPrivate: boolean;
  /** Dead deliveries in a row after which an addon is disabled (0 never disables). */
  addonAutoDisableAfter: number;
  /** Default local time ("HH:MM") of the daily analytics summary of organizations that set none. */
  analyticsDailyAt: string;
  /** How often the daily-summary scheduler checks whether an organization's time has come, in ms (0 = off). */
  analyticsTickMs: number;
  /** Attention (E4): how often an idle escalation worker looks for due missed-chat escalations, in ms; 0 = no worker. */
  escalationPollMs: number;
  // Live notifications (issue 3).
  /** How long an operator with no open stream stays ONLINE before going OFFLINE, in ms. */
  presenceGraceMs: number;
  /** How long presence changes of one organization gather before they are written together (one batch), in ms. */
  presenceBatchMs: number;
  /** Presence transactions in flight at once on one instance, all organizations included: the rest of the pool stays free for reports and streams. */
  presenceConcurrency: number;
  /** With Redis: how long an open stream counts for presence without a heartbeat of its instance (a crashed instance's streams expire after it), in ms. */
  presenceTtlMs: number;
  /** Items one stream may hold unsent before it is closed (code 4008); the client resumes by cursor. */
  streamBufferLimit: number;
  /** graphql-ws keep-alive: ping interval, and how long a pong may take before the socket is dropped, in ms. */
  wsKeepAliveMs: number;
  // The edge (issue 7): operation limits, production mode, lifecycle.
  /** NODE_ENV=production: no GraphiQL, no introspection for unauthenticated callers, no field suggestions. */
  production: boolean;
  /** Deepest selection nesting an operation may have (introspection excluded). */
  maxQueryDepth: number;
  /** Most aliases in one operation. */
  maxQueryAliases: number;
  /** Most lexical tokens in one document: bounds parsing time and memory before anything else runs. */
  maxQueryTokens: number;
  /** Most directives in one operation. */
  maxQueryDirectives: number;
  /** Highest estimated cost: each field 1, times the page size of every enclosing connection. */
  maxQueryCost: number;
  /** On SIGTERM/SIGINT: how long in-flight requests and the delivery batch may take before they are cut, in ms. */
  shutdownGraceMs: number;
  // Rate limits (issue 7): fixed windows per credential, counted in Redis when REDIS_URL is set.
  /** Length of one rate-limit window, in seconds: a limit is N per window, its counter resets when the window ends. */
  rateLimitWindowSeconds: number;
  /** Happenings one integrator API key may report per window (a batch counts its happenings). */
  rateLimitApiKeyHappenings: number;
  /** Requests (operations) one operator token may make per window. */
  rateLimitOperatorRequests: number;
  /** How long an instance reuses an organization's limit override before reading it again, in seconds. */
  rateLimitCacheSeconds: number;
  /** Fairness: happenings of one organization ingested at once on one instance; more wait their turn (0 = unbounded). */
  ingestionInFlightPerOrganization: number;
  // Host-app sign-in and the credential cache (issues 9 and 8).
  /** HOST_JWT_*: JWTs the deployment's host application signs, accepted for operators of any organization (`org` claim). */
  hostSignIn: HostSignInSettings | undefined;
  /** Longest time a verified credential is reused without a database lookup, in ms (0 turns the cache off). */
  credentialCacheMs: number;
  /** Most credentials cached at once per instance. */
  credentialCacheSize: number;
  /** How long a host application's JWKS is reused before it is fetched again, in ms. */
  jwksCacheMs: number;
  // Observability (issue 10): logs and metrics.
  /** pino level (fatal, error, warn, info, debug, trace, silent). JSON lines in production, readable ones otherwise. */
  logLevel: string;
  /** Bearer token that /metrics requires on the service's port; unset: no /metrics there. */
  metricsToken: string | undefined;
  /** A separate port serving only /metrics (on metricsHost), for a scraper on a private network; unset: none. */
  metricsPort: number | undefined;
  metricsHost: string;
  // Retention (issue 15).
  /** The service's retention windows (src/domain/retention-windows.ts: defaults, bounds and reasons). */
  retention: RetentionWindows;
  /** How often the retention scheduler creates partitions ahead and expires data, in ms (0 = never expires; partitions are still made at start). */
  retentionTickMs: number;
  /** Rows one expiry DELETE removes at most (bounded batches, each its own short transaction). */
  retentionBatchSize: number;
}

function retentionWindows(): RetentionWindows {
  const windows = { ...DEFAULT_RETENTION };
  for (const kind of RETENTION_KINDS) {
    const spec = RETENTION_SPECS[kind];
    const value = integer(spec.env, spec.default);
    const refusal = checkWindow(kind, value, spec.max);
    if (refusal !== null) throw new Error(`${spec.env}: ${refusal}`);
    windows[kind] = value;
  }
  return windows;
}

function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function optional(name: string): string | undefined {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

export function readConfig(): Config {
  return {
    port: integer('PORT', 4000),
    host: process.env.HOST ?? '127.0.0.1',
    databaseUrl: optional('DATABASE_URL'),
    dataDir: resolve(repoRoot, process.env.DATA_DIR ?? 'data'),
    tokenSecret: optional('TOKEN_SECRET'),
    tokenTtlSeconds: integer('TOKEN_TTL_SECONDS', 12 * 3600),
    redisUrl: optional('REDIS_URL'),
    redisPrefix: process.env.REDIS_PREFIX ?? 'notifications:',
    maxBatchSize: integer('MAX_BATCH_SIZE', 500),
    logQueries: process.env.LOG_QUERIES === '1',
    gcParallelScavenge: process.env.GC_PARALLEL_SCAVENGE === '1',
    presenceGraceMs: integer('PRESENCE_GRACE_MS', 5000),
    presenceTtlMs: integer('PRESENCE_TTL_MS', 30_000),
    presenceBatchMs: integer('PRESENCE_BATCH_MS', 50),
    presenceConcurrency: integer('PRESENCE_CONCURRENCY', 2),
    streamBufferLimit: integer('STREAM_BUFFER_LIMIT', 1000),
    wsKeepAliveMs: integer('WS_KEEPALIVE_MS', 12_000),
    rateLimitWindowSeconds: integer('RATE_LIMIT_WINDOW_SECONDS', 10),
    rateLimitApiKeyHappenings: integer('RATE_LIMIT_API_KEY_HAPPENINGS', 2000),
    rateLimitOperatorRequests: integer('RATE_LIMIT_OPERATOR_REQUESTS', 300),
    rateLimitCacheSeconds: integer('RATE_LIMIT_CACHE_SECONDS', 30),
    ingestionInFlightPerOrganization: integer('INGESTION_IN_FLIGHT_PER_ORGANIZATION', 500),
    smtpUrl: optional('SMTP_URL'),
    mailFrom: process.env.MAIL_FROM ?? 'Notifications <notifications@localhost>',
    deliveryPollMs: integer('DELIVERY_POLL_MS', 1000),
    deliveryBatchSize: integer('DELIVERY_BATCH_SIZE', 20),
    deliveryMaxAttempts: integer('DELIVERY_MAX_ATTEMPTS', 8),
    deliveryBackoffBaseMs: integer('DELIVERY_BACKOFF_BASE_MS', 5000),
    deliveryBackoffMaxMs: integer('DELIVERY_BACKOFF_MAX_MS', 3_600_000),
    deliveryLeaseMs: integer('DELIVERY_LEASE_MS', 60_000),
    deliveryTimeoutMs: integer('DELIVERY_TIMEOUT_MS', 15_000),
    outboundAllowPrivate: process.env.OUTBOUND_ALLOW_PRIVATE === '1',
    addonAutoDisableAfter: integer('ADDON_AUTO_DISABLE_AFTER', 5),
    analyticsDailyAt: process.env.ANALYTICS_DAILY_AT ?? '18:00',
    analyticsTickMs: integer('ANALYTICS_TICK_MS', 60_000),
    escalationPollMs: integer('ESCALATION_POLL_MS', 1000),
    production: process.env.NODE_ENV === 'production',
    // Defaults and why: README "Operation limits".
    maxQueryDepth: integer('MAX_QUERY_DEPTH', 10),
    maxQueryAliases: integer('MAX_QUERY_ALIASES', 15),
    maxQueryTokens: integer('MAX_QUERY_TOKENS', 1000),
    maxQueryDirectives: integer('MAX_QUERY_DIRECTIVES', 20),
    maxQueryCost: integer('MAX_QUERY_COST', 20_000),
    shutdownGraceMs: integer('SHUTDOWN_GRACE_MS', 10_000),
    hostSignIn: hostSignInFromEnv(process.env),
    credentialCacheMs: integer('CREDENTIAL_CACHE_MS', 10_000),
    credentialCacheSize: integer('CREDENTIAL_CACHE_SIZE', 10_000),
    jwksCacheMs: integer('JWKS_CACHE_MS', 300_000),
    logLevel: process.env.LOG_LEVEL ?? 'info',
    metricsToken: optional('METRICS_TOKEN'),
    metricsPort: optional('METRICS_PORT') === undefined ? undefined : integer('METRICS_PORT', 0),
    metricsHost: process.env.METRICS_HOST ?? '127.0.0.1',
    retention: retentionWindows(),
    retentionTickMs: integer('RETENTION_TICK_MS', 600_000),
    retentionBatchSize: Math.max(1, integer('RETENTION_BATCH_SIZE', 5000)),
  };
}
