/**
 * Operator access tokens the service issues itself: standard JWTs (HS256 over the service's
 * signing key) with `iss`/`aud` "notification-backbone", `sub` the operator id, `org` the
 * organization id, `exp` and `iat` (seconds, with a millisecond fraction: compared with a
 * revocation instant). The one verifier (verify-token.ts, jose) checks them like a host
 * application's tokens. Signing is synchronous here (a compact JWS is three base64url parts and an
 * HMAC) so that every caller of issueOperatorToken stays synchronous; the test suite proves jose
 * verifies them and that tokens jose signs with the same key are accepted.
 *
 * Revocation is per operator (`tokensValidAfter`, compared with `iat` by the authenticator).
 */
import { createHmac } from 'node:crypto';

export const SERVICE_TOKEN_ISSUER = 'notification-backbone';
export const SERVICE_TOKEN_AUDIENCE = 'notification-backbone';

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

/** Why a token was refused (GraphQL `extensions.reason`; the code stays UNAUTHENTICATED). */
export type TokenRefusal =
  | 'MALFORMED'
  | 'BAD_SIGNATURE'
  | 'EXPIRED'
  | 'EXPIRY_TOO_FAR'
  /** No sign-in setting (the service's, the deployment's or the organization's) names this issuer. */
  | 'UNKNOWN_ISSUER'
  /** Issuer, audience, not-before or a required claim did not match. */
  | 'CLAIM_MISMATCH'
  /** The host application's keys (JWKS) could not be fetched, or the guard refused their address. */
  | 'KEYS_UNAVAILABLE';

/** Clocks of instances and host applications differ a little: an expiry this far past the cap is still accepted. */
export const CLOCK_SKEW_SECONDS = 60;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export function issueToken(secret: string, claims: TokenClaims): string {
  const payload = base64url(JSON.stringify({ iss: SERVICE_TOKEN_ISSUER, aud: SERVICE_TOKEN_AUDIENCE, ...claims }));
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

/** When the token was issued, in ms; a token without `iat` counts as issued a full lifetime before its expiry. */
export function tokenIssuedAt(claims: { exp: number; iat?: number | undefined }, maxTtlSeconds: number): number {
  return typeof claims.iat === 'number' ? claims.iat * 1000 : (claims.exp - maxTtlSeconds) * 1000;
}

/** Revoked when issued at or before the operator's `tokensValidAfter`. */
export function isTokenRevoked(issuedAtMs: number, tokensValidAfter: Date | null): boolean {
  return tokensValidAfter !== null && issuedAtMs <= tokensValidAfter.getTime();
}
