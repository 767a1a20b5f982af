/**
 * The request (or socket) context: who is calling, resolved once from the credentials, plus the
 * service dependencies. Read-only after creation.
 */

import { parseApiKey, secretMatches } from './auth/api-keys.js';
import { isTokenRevoked, type TokenRefusal, tokenIssuedAt, verifyToken } from './auth/tokens.js';
import type { Db } from './db/database.js';
import type { Services } from './services/services.js';

export type Viewer =
  | { kind: 'anonymous'; reason?: TokenRefusal | 'REVOKED' | 'UNKNOWN_CREDENTIAL' }
  | { kind: 'integrator'; organizationId: string; apiKeyId: string }
  | {
      kind: 'operator';
      organizationId: string;
      operatorId: string;
      isAdmin: boolean;
      /** The token's issue time and expiry (ms): an open stream closes at expiry or on revocation. */
      token: { issuedAt: number; expiresAt: number };
    };

/** What resolving a token needs: the signing key and the longest lifetime accepted. */
export interface TokenSettings {
  tokenSecret: string;
  tokenTtlSeconds: number;
}

export interface Context {
  prisma: Db;
  viewer: Viewer;
  services: Services;
}

/** Resolves `Authorization: Bearer <token or API key>` to a viewer (one primary-key lookup). */
export async function resolveViewer(prisma: Db, tokens: TokenSettings, authorization: string | null | undefined): Promise<Viewer> {
  const credential = authorization?.replace(/^Bearer\s+/i, '').trim();
  if (!credential) return { kind: 'anonymous' };
  if (credential.startsWith('nbk_')) {
    const parsed = parseApiKey(credential);
    if (!parsed) return { kind: 'anonymous', reason: 'MALFORMED' };
    const key = await prisma.apiKey.findUnique({ where: { id: parsed.keyId } });
    if (!key || key.revokedAt || !secretMatches(parsed.secret, key.secretHash)) return { kind: 'anonymous', reason: 'UNKNOWN_CREDENTIAL' };
    return { kind: 'integrator', organizationId: key.organizationId, apiKeyId: key.id };
  }
  const check = verifyToken(tokens.tokenSecret, credential, tokens.tokenTtlSeconds);
  if (!check.ok) return { kind: 'anonymous', reason: check.reason };
  const operator = await prisma.operator.findFirst({
    where: { id: check.claims.sub, organizationId: check.claims.org, deletedAt: null },
    select: { id: true, organizationId: true, tokensValidAfter: true, role: { select: { isAdmin: true } } },
  });
  if (!operator) return { kind: 'anonymous', reason: 'UNKNOWN_CREDENTIAL' };
  const issuedAt = tokenIssuedAt(check.claims, tokens.tokenTtlSeconds);
  if (isTokenRevoked(issuedAt, operator.tokensValidAfter)) return { kind: 'anonymous', reason: 'REVOKED' };
  return {
    kind: 'operator',
    organizationId: operator.organizationId,
    operatorId: operator.id,
    isAdmin: operator.role.isAdmin,
    token: { issuedAt, expiresAt: check.claims.exp * 1000 },
  };
}

/** The caller's organization; only call behind an auth scope that guarantees one. */
export function organizationOf(viewer: Viewer): string {
  if (viewer.kind === 'anonymous') throw new Error('organizationOf called without an authenticated viewer');
  return viewer.organizationId;
}
