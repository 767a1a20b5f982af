/**
 * The request (or socket) context: who is calling, resolved once from the credentials, plus the
 * service dependencies. Read-only after creation.
 */

import type { Authenticator } from './auth/authenticate.js';
import type { TokenRefusal } from './auth/tokens.js';
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

export interface Context {
  prisma: Db;
  viewer: Viewer;
  services: Services;
}

/**
 * Resolves `Authorization: Bearer <token or API key>` to a viewer: from the credential cache, else
 * one primary-key lookup (src/auth/authenticate.ts).
 */
export function resolveViewer(authentication: Pick<Authenticator, 'resolve'>, authorization: string | null | undefined): Promise<Viewer> {
  return authentication.resolve(authorization);
}

/** The caller's organization; only call behind an auth scope that guarantees one. */
export function organizationOf(viewer: Viewer): string {
  if (viewer.kind === 'anonymous') throw new Error('organizationOf called without an authenticated viewer');
  return viewer.organizationId;
}
