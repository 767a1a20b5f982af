/**
 * The delivery worker of one service instance: claims due deliveries in batches, sends them, and
 * settles each one as delivered, retried later (exponential backoff with jitter) or dead once its
 * attempts are used up or the failure is permanent. It polls every `pollMs` when idle and is woken
 * at once by the delivery sink after a commit. Any number of instances may run on one database:
 * claims never overlap (see claim-deliveries.ts). Whatever happens to one delivery of a batch,
 * the others are settled, and anything still held when the batch ends (settling failed) is
 * released rather than left leased. `stop(graceMs)` lets the batch in flight finish, and past the
 * grace releases what it has not sent, for another instance to take at once.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import { renderQuietTimeDigest } from '../../domain/quiet-time-digest.js';
import { log as logger } from '../../observability/logger.js';
import { metrics } from '../../observability/metrics.js';
import { isUnreadEscalationDue } from '../attention/unread-escalations.js';
import type { DecisionSink } from '../decision-sinks.js';
import type { Services } from '../services.js';
import { type DisabledAddon, recordAddonDead, recordAddonDelivered, reportAddonDisabled } from './addon-health.js';
import { claimDueDeliveries, claimDueDigest, markDead, markDelivered, releaseClaim, scheduleRetry } from './claim-deliveries.js';
import { createMailer, type Mailer } from './create-mailer.js';
import { toDeliveryError } from './delivery-error.js';
import { createDeliverySink } from './enqueue-deliveries.js';
import { loadEventDetails } from './load-event-details.js';
import { retryDelayMs } from './retry-delay.js';
import { sendDelivery } from './send-delivery.js';

export type DeliveryConfig = Pick<
  Config,
  | 'smtpUrl'
  | 'mailFrom'
  | 'dataDir'
  | 'deliveryPollMs'
  | 'deliveryBatchSize'
  | 'deliveryMaxAttempts'
  | 'deliveryBackoffBaseMs'
  | 'deliveryBackoffMaxMs'
  | 'deliveryLeaseMs'
  | 'deliveryTimeoutMs'
  | 'addonAutoDisableAfter'
>;

/** What the worker knows of a claimed delivery when it settles it. */
interface AttemptedRow {
  id: string;
  organizationId: string;
  channel: string;
  attempts: number;
  addonId: string | null;
}

export interface DeliveryWorker {
  /** Register with `services.sinks`: enqueues in the decision transaction, wakes this worker. */
  sink: DecisionSink;
  start(): void;
  /** Finishes the batch in flight; past `graceMs` (default: unbounded) releases its unsent deliveries. */
  stop(graceMs?: number): Promise<void>;
  /** Look for due deliveries now instead of at the next poll. */
  wake(): void;
}

export interface DeliveryWorkerOptions {
  services: Services;
  config: DeliveryConfig;
  mailer?: Mailer;
  log?: (message: string) => void;
}

export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { services, config } = options;
  const prisma = services.prisma;
  const log = options.log ?? ((message: string) => logger.warn(message));
  const mailer =
    options.mailer ??
    createMailer({
      smtpUrl: config.smtpUrl,
      mailFrom: config.mailFrom,
      dataDir: config.dataDir,
      timeoutMs: config.deliveryTimeoutMs,
      outbound: services.outbound,
    });
  let running = false;
  let loop: Promise<void> | null = null;
  let woken = false;
  let wakeSleeper: (() => void) | null = null;
  /** The claim token of the batch in flight, if any. */
  let claiming: string | null = null;

  const wake = () => {
    woken = true;
    wakeSleeper?.();
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleeper = null;
        resolve();
      }
      wakeSleeper = done;
    });

  /** One attempt's outcome, logged with its fields and counted (dead ones at warn). */
  function logAttempt(row: AttemptedRow, outcome: 'delivered' | 'retry' | 'dead', extra: Record<string, unknown>) {
    metrics.deliveryAttempts.inc({ channel: row.channel, outcome });
    if (outcome === 'dead') metrics.deadDeliveries.inc({ channel: row.channel });
    const fields = {
      organizationId: row.organizationId,
      deliveryId: row.id,
      channel: row.channel,
      addonId: row.addonId ?? undefined,
      attempt: row.attempts,
      outcome,
      ...extra,
    };
    if (outcome === 'dead') logger.warn(fields, 'delivery dead');
    else logger.info(fields, 'delivery attempt');
  }

  async function settleFailure(row: AttemptedRow, token: string, error: unknown) {
    const failure = toDeliveryError(error);
    if (!failure.permanent && row.attempts < config.deliveryMaxAttempts) {
      const delay = retryDelayMs(row.attempts, config.deliveryBackoffBaseMs, config.deliveryBackoffMaxMs);
      await scheduleRetry(prisma, row.id, token, delay, failure.message);
      logAttempt(row, 'retry', { error: failure.message, retryInMs: delay });
      return;
    }
    const disabled = await prisma.$transaction(async (tx): Promise<DisabledAddon | null> => {
      const marked = await markDead(tx, row.id, token, failure.message);
      return marked && row.addonId ? recordAddonDead(tx, row.addonId, config.addonAutoDisableAfter) : null;
    });
    logAttempt(row, 'dead', { error: failure.message, permanent: failure.permanent });
    if (disabled) {
      metrics.addonsAutoDisabled.inc({ kind: disabled.kind });
      logger.warn(
        {
          organizationId: disabled.organizationId,
          addonId: disabled.id,
          kind: disabled.kind,
          deadInARow: disabled.deadInARow,
          deliveryId: row.id,
        },
        'addon auto-disabled',
      );
      await reportAddonDisabled(services, disabled, failure.message, row.id);
    }
  }

  async function runBatch(): Promise<number> {
    const token = randomUUID();
    const ids = await claimDueDeliveries(prisma, token, config.deliveryBatchSize, config.deliveryLeaseMs);
    const digest = await claimDueDigest(prisma, token, config.deliveryLeaseMs);
    if (ids.length === 0 && digest.length === 0) return 0;
    claiming = token;
    try {
      await Promise.all([ids.length > 0 ? sendBatch(token, ids) : null, digest.length > 0 ? sendDigest(token, digest) : null]);
    } finally {
      claiming = null;
      // Settled rows are no longer held under the token: this only releases what settling missed.
      // A failure here leaves them to the lease, which is all that is left when the database is gone.
      const released = await releaseClaim(prisma, token, config.deliveryBackoffBaseMs).catch(() => 0);
      if (released > 0) log(`delivery worker: released ${released} unsettled delivery(ies) of batch ${token}`);
    }
    return ids.length + (digest.length > 0 ? 1 : 0);
  }

  /** One quiet-time digest (E2): the claimed deferred emails of one operator, as one email; settled together. */
  async function sendDigest(token: string, ids: string[]): Promise<void> {
    const rows = await prisma.delivery.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: 'asc' } });
    const first = rows[0];
    if (first === undefined) return;
    try {
      const details = await loadEventDetails(
        prisma,
        rows.map((row) => row.eventId),
      );
      const to = rows.at(-1)?.target ?? first.target;
      await mailer.send({ deliveryId: first.id, to, ...renderQuietTimeDigest([...details.values()]) });
    } catch (error) {
      const failure = toDeliveryError(error);
      if (!failure.permanent && first.attempts < config.deliveryMaxAttempts) {
        const delay = retryDelayMs(first.attempts, config.deliveryBackoffBaseMs, config.deliveryBackoffMaxMs);
        for (const row of rows) await scheduleRetry(prisma, row.id, token, delay, failure.message);
      } else {
        for (const row of rows) await markDead(prisma, row.id, token, failure.message);
        log(`quiet-time digest ${first.id} is dead after ${first.attempts} attempt(s): ${failure.message}`);
      }
      return;
    }
    for (const row of rows) await markDelivered(prisma, row.id, token);
  }

  async function sendBatch(token: string, ids: string[]): Promise<void> {
    const rows = await prisma.delivery.findMany({
      where: { id: { in: ids } },
      include: { addon: { select: { kind: true, config: true, deletedAt: true, consecutiveDeadDeliveries: true } } },
    });
    const details = await loadEventDetails(
      prisma,
      rows.map((row) => row.eventId),
    );
    const settled = await Promise.allSettled(
      rows.map(async (row) => {
        try {
          const event = details.get(row.eventId);
          if (!event) throw new Error(`event ${row.eventId} not found`);
          // Attention (E5): an unread escalation goes out only if its item is still unread.
          if (row.inboxItemId !== null && !(await isUnreadEscalationDue(prisma, { ...row, inboxItemId: row.inboxItemId }, token))) return;
          await sendDelivery({ mailer, outbound: services.outbound, timeoutMs: config.deliveryTimeoutMs }, row, event);
        } catch (error) {
          await settleFailure(row, token, error);
          return;
        }
        const delivered = await markDelivered(prisma, row.id, token);
        if (delivered) logAttempt(row, 'delivered', {});
        if (delivered && row.addonId && row.addon && row.addon.consecutiveDeadDeliveries > 0)
          await recordAddonDelivered(prisma, row.addonId);
      }),
    );
    for (const outcome of settled)
      if (outcome.status === 'rejected') log(`delivery worker: settling failed: ${(outcome.reason as Error).message}`);
  }

  async function run() {
    while (running) {
      woken = false;
      let claimed = 0;
      try {
        claimed = await runBatch();
      } catch (error) {
        log(`delivery worker: ${(error as Error).message}`);
      }
      if (running && claimed < config.deliveryBatchSize && !woken) await sleep(config.deliveryPollMs);
    }
  }

  return {
    sink: createDeliverySink(wake),
    wake,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop(graceMs) {
      running = false;
      wakeSleeper?.();
      let timer: NodeJS.Timeout | undefined;
      const late = graceMs === undefined ? null : new Promise<'late'>((resolve) => (timer = setTimeout(resolve, graceMs, 'late')));
      const outcome = await Promise.race([loop, ...(late ? [late] : [])]);
      clearTimeout(timer);
      // Sends still running will find their claim gone and settle nothing: at least once, never lost.
      if (outcome === 'late' && claiming) await releaseClaim(prisma, claiming, 0);
      loop = null;
      mailer.close();
    },
  };
}
