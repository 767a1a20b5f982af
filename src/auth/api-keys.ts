/**
 * Integrator API keys: `nbk_<key id>_<secret>`. Only a SHA-256 of the secret is stored; the whole
 * key is shown once, when created.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function generateApiKey(keyId: string): { key: string; secretHash: string } {
  const secret = randomBytes(24).toString('base64url');
  return { key: `nbk_${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseApiKey(key: string): { keyId: string; secret: string } | null {
  const match = /^nbk_([0-9a-f-]{36})_([A-Za-z0-9_-]+)$/.exec(key);
  return match?.[1] && match[2] ? { keyId: match[1], secret: match[2] } : null;
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(secretHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
