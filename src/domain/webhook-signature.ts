/**
 * Webhook signatures by the Standard Webhooks specification (standardwebhooks.com), made with its
 * reference library, so a receiver verifies with the same library in three lines (README
 * "Webhook signatures").
 *
 * Every webhook request carries:
 *   Webhook-Id:         the delivery's global id, stable across retries: drop a request whose id you saw
 *   Webhook-Timestamp:  seconds since the epoch when this attempt was signed
 *   Webhook-Signature:  `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${rawBody}`, keyed with
 *                       the bytes of the addon's `whsec_…` secret (base64 after the prefix)
 *
 * Secrets: new ones are `whsec_` + base64 of 32 random bytes. A secret stored before Standard
 * Webhooks (any string of 16+ characters) keeps its key bytes: it signs as `whsec_` + base64 of its
 * UTF-8 bytes (`standardWebhookSecret`), so its receivers only change their verification code, not
 * their secret's value, and the admin can rotate it for a new `whsec_` one at any time.
 */
import { Webhook } from 'standardwebhooks';

export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
  event: 'webhook-event',
} as const;

export const WHSEC_PREFIX = 'whsec_';
/** Key sizes the specification recommends for `whsec_` secrets, in bytes. */
export const WHSEC_MIN_BYTES = 24;
export const WHSEC_MAX_BYTES = 64;

/** The `whsec_` form of a stored secret: as is when it has the prefix, else its UTF-8 bytes in base64. */
export function standardWebhookSecret(stored: string): string {
  return stored.startsWith(WHSEC_PREFIX) ? stored : `${WHSEC_PREFIX}${Buffer.from(stored, 'utf8').toString('base64')}`;
}

/** The key bytes of a `whsec_` secret, or null when the part after the prefix is not strict base64. */
export function whsecKeyBytes(secret: string): Buffer | null {
  const encoded = secret.slice(WHSEC_PREFIX.length);
  if (!secret.startsWith(WHSEC_PREFIX) || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return null;
  return Buffer.from(encoded, 'base64');
}

/** The `Webhook-Signature` header value for `body` of message `id` signed at `timestamp` (seconds). */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return new Webhook(standardWebhookSecret(secret)).sign(id, new Date(timestamp * 1000), body);
}
