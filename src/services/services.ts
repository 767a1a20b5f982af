/**
 * The dependencies resolvers and background jobs reach through the context. Built once by createApp.
 */
import type { Authenticator } from '../auth/authenticate.js';
import type { Db } from '../db/database.js';
import type { RetentionWindows } from '../domain/retention-windows.js';
import type { DecisionSink } from './decision-sinks.js';
import type { Live } from './live/live.js';
import type { OutboundGuard } from './outbound/outbound-guard.js';
import type { OrganizationGate } from './rate-limits/organization-gate.js';
import type { RateLimitDefaults } from './rate-limits/organization-limits.js';
import type { RetentionScheduler } from './retention/retention-scheduler.js';

export interface Services {
  prisma: Db;
  tokenSecret: string;
  tokenTtlSeconds: number;
  maxBatchSize: number;
  /** Receivers of stored decisions (inbox + live fan-out, delivery outbox). */
  sinks: DecisionSink[];
  /** The one door for outbound requests (addon URLs, Help Scout, SMTP): checked when stored and when sent. */
  outbound: OutboundGuard;
  /** The service-wide rate limits, which an organization's override replaces (absent where no app runs). */
  rateLimitDefaults?: RateLimitDefaults;
  /** Fairness: bounds each organization's happenings being ingested at once on this instance. */
  ingestionGate?: OrganizationGate;
  /** Credentials → viewer, with its cache (absent where no app runs, e.g. scripts). */
  authentication?: Authenticator;
  /** Live notifications: streams, inbox sink, presence (absent where no app runs, e.g. scripts). */
  live?: Live;
  /** Retention (issue 15): the service's windows, the expiry scheduler, and the `.eml` outbox (null with SMTP) (absent where no app runs). */
  retention?: { windows: RetentionWindows; scheduler: RetentionScheduler; mailDir: string | null };
}
