/**
 * Operator access tokens: `v1.<payload>.<signature>`, HMAC-SHA256 over the payload, with an expiry.
 * Stateless, so every instance sharing the signing key accepts them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  /** Operator id. */
  sub: string;
  /** Organization id. */
  org: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

export function issueToken(secret: string, claims: TokenClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `v1.${payload}.${sign(secret, payload)}`;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' };

export function verifyToken(secret: string, token: string, now = Date.now()): TokenCheck {
  const [version, payload, signature] = token.split('.');
  if (version !== 'v1' || !payload || !signature) return { ok: false, reason: 'MALFORMED' };
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'BAD_SIGNATURE' };
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return { ok: false, reason: 'MALFORMED' };
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, claims };
}
