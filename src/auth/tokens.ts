/**
 * Operator access tokens: `v1.<payload>.<signature>`, HMAC-SHA256 over the payload, with an expiry.
 * Stateless, so every instance sharing the signing key accepts them. Refused: any other shape
 * (extra segments included), a bad signature, an expired token, and one whose expiry lies further
 * ahead than the longest lifetime the service issues (a leaked signing key cannot mint
 * everlasting tokens, and lowering TOKEN_TTL_SECONDS shortens tokens already out).
 * Revocation is per operator (`tokensValidAfter`, checked by resolveViewer against `iat`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  /** Operator id. */
  sub: string;
  /** Organization id. */
  org: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issue time, seconds since the epoch with millisecond fraction (compared with a revocation instant). */
  iat?: number;
}

/** Clocks of instances may differ a little: an expiry this far past the cap is still accepted. */
const CLOCK_SKEW_SECONDS = 60;

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

export function issueToken(secret: string, claims: TokenClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `v1.${payload}.${sign(secret, payload)}`;
}

export type TokenRefusal = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'EXPIRY_TOO_FAR';
export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: TokenRefusal };

export function verifyToken(secret: string, token: string, maxTtlSeconds: number, now = Date.now()): TokenCheck {
  const parts = token.split('.');
  const [version, payload, signature] = parts;
  if (parts.length !== 3 || version !== 'v1' || !payload || !signature) return { ok: false, reason: 'MALFORMED' };
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'BAD_SIGNATURE' };
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return { ok: false, reason: 'MALFORMED' };
  }
  if (typeof claims?.sub !== 'string' || typeof claims.org !== 'string' || typeof claims.exp !== 'number') {
    return { ok: false, reason: 'MALFORMED' };
  }
  if (claims.exp * 1000 <= now) return { ok: false, reason: 'EXPIRED' };
  if (claims.exp * 1000 > now + (maxTtlSeconds + CLOCK_SKEW_SECONDS) * 1000) return { ok: false, reason: 'EXPIRY_TOO_FAR' };
  return { ok: true, claims };
}

/** When the token was issued, in ms; a token without `iat` counts as issued a full lifetime before its expiry. */
export function tokenIssuedAt(claims: TokenClaims, maxTtlSeconds: number): number {
  return typeof claims.iat === 'number' ? claims.iat * 1000 : (claims.exp - maxTtlSeconds) * 1000;
}

/** Revoked when issued at or before the operator's `tokensValidAfter`. */
export function isTokenRevoked(issuedAtMs: number, tokensValidAfter: Date | null): boolean {
  return tokensValidAfter !== null && issuedAtMs <= tokensValidAfter.getTime();
}
