/**
 * Webhook signatures: how a receiver knows a POST comes from this service and is fresh.
 *
 * Every webhook request carries three headers:
 *   Webhook-Id:         the delivery's global id, stable across retries: drop a request whose id you saw
 *   Webhook-Timestamp:  seconds since the epoch when this attempt was signed
 *   Webhook-Signature:  `v1=` + hex HMAC-SHA256, keyed with the addon's secret, over
 *                       `${timestamp}.${rawBody}` (the exact bytes received, before any JSON parsing)
 *
 * Receiver recipe (Node; any language with HMAC-SHA256 works the same way):
 *   const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
 *   ok = timingSafeEqual(Buffer.from(`v1=${expected}`), Buffer.from(signatureHeader))
 *        && Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
 * `verifyWebhookSignature` below is that recipe. The timestamp bound stops replays of a captured
 * request; the id stops duplicates of a retried one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
  event: 'webhook-event',
} as const;

export const WEBHOOK_SIGNATURE_VERSION = 'v1';
/** Largest accepted distance between the signed timestamp and the receiver's clock, in seconds. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The `Webhook-Signature` header value for `body` signed at `timestamp` (seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `${WEBHOOK_SIGNATURE_VERSION}=${digest}`;
}

export interface WebhookVerification {
  secret: string;
  /** The raw request body, exactly as received. */
  body: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  /** The receiver's clock in seconds (defaults to now). */
  now?: number;
  toleranceSeconds?: number;
}

/** True when the signature matches the body and timestamp and the timestamp is recent enough. */
export function verifyWebhookSignature(input: WebhookVerification): boolean {
  const { secret, body, timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
