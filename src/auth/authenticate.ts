/**
 * `Authorization: Bearer <credential>` → viewer. API keys are looked up by id and their secret's
 * hash compared; JWTs (the service's own and host applications') go through the one verifier, and
 * their operator claim is mapped to an active operator of the token's organization (by id, by
 * externalId, or by email when exactly one active operator has it). Revocation: a token issued at
 * or before the operator's `tokensValidAfter` is refused.
 *
 * Successes are kept in the credential cache (credential-cache.ts says what invalidates it);
 * `invalidate` evicts on this instance at once and publishes the change for every other instance.
 * Organizations' sign-in settings are cached alongside and evicted with their organization.
 */
import type { Viewer } from '../context.js';
import type { Db } from '../db/database.js';
import type { PubSub } from '../pubsub.js';
import type { OutboundGuard } from '../services/outbound/outbound-guard.js';
import { parseApiKey, secretMatches } from './api-keys.js';
import { CredentialCache, type CredentialScope } from './credential-cache.js';
import type { HostSignInSettings } from './host-sign-in.js';
import { createInvalidationBroadcast } from './invalidation-broadcast.js';
import { JwksCache } from './jwks-cache.js';
import { createOperatorLookup } from './operator-lookups.js';
import { isTokenRevoked } from './tokens.js';
import { createTokenVerifier, type VerifiedToken } from './verify-token.js';

/** A bearer credential longer than this is refused unread (a JWT with a few claims is under 1 KB). */
export const MAX_CREDENTIAL_LENGTH = 8_192;

export interface AuthenticatorOptions {
  prisma: Db;
  tokenSecret: string;
  tokenTtlSeconds: number;
  /** HOST_JWT_*: the deployment's host application, if any. */
  deploymentSignIn?: HostSignInSettings | undefined;
  outbound: Pick<OutboundGuard, 'fetch'>;
  /** Where invalidations are published and heard (Redis across instances). */
  pubsub?: PubSub | undefined;
  cacheTtlMs: number;
  cacheCapacity: number;
  jwksCacheMs: number;
}

export interface Authenticator {
  resolve(authorization: string | null | undefined): Promise<Viewer>;
  /**
   * The viewer when it is known without I/O (no credential, a malformed one, or one in the cache),
   * else undefined: the request path then skips a promise hop (`resolve` answers the rest).
   */
  known(authorization: string | null | undefined): Viewer | undefined;
  /**
   * Evicts what `scope` covers here at once, and on every other instance through pub/sub: resolves
   * once every instance has acknowledged applying it (at most a second, then the TTL bounds it).
   */
  invalidate(scope: CredentialScope): Promise<void>;
  readonly cache: CredentialCache;
  close(): void;
}

/** How long a change waits for the other instances to apply the invalidation before answering anyway. */
const APPLY_WAIT_MS = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { prisma } = options;
  const cache = new CredentialCache({ ttlMs: options.cacheTtlMs, capacity: options.cacheCapacity });
  const jwks = new JwksCache({ outbound: options.outbound, ttlMs: options.jwksCacheMs });
  const signIns = new Map<string, { settings: HostSignInSettings | null; until: number }>();

  const verify = createTokenVerifier({
    serviceSecret: options.tokenSecret,
    maxTtlSeconds: options.tokenTtlSeconds,
    deployment: options.deploymentSignIn,
    jwks,
    async organizationSignIn(organizationId) {
      const cached = signIns.get(organizationId);
      if (cached && cached.until > Date.now()) return cached.settings;
      const row = await prisma.hostSignIn.findUnique({ where: { organizationId } });
      const settings = row ? settingsOf(row) : null;
      signIns.delete(organizationId);
      signIns.set(organizationId, { settings, until: Date.now() + options.cacheTtlMs });
      if (signIns.size > options.cacheCapacity) signIns.delete(signIns.keys().next().value ?? '');
      return settings;
    },
    async organizationsWithIssuer(issuer) {
      const rows = await prisma.hostSignIn.findMany({ where: { issuer }, select: { organizationId: true }, take: 2 });
      return rows.map((r) => r.organizationId);
    },
  });

  const evict = (scope: CredentialScope) => {
    cache.evict(scope);
    if (scope.kind === 'organization') {
      signIns.delete(scope.id);
      jwks.clear();
    }
  };
  const broadcast = options.pubsub ? createInvalidationBroadcast(options.pubsub, evict, APPLY_WAIT_MS) : undefined;
  const lookUpOperator = createOperatorLookup(prisma);

  async function operatorViewer(token: VerifiedToken): Promise<Viewer> {
    const { organizationId, operator: ref } = token;
    if (!UUID.test(organizationId) || (ref.by === 'ID' && !UUID.test(ref.value)))
      return { kind: 'anonymous', reason: 'UNKNOWN_CREDENTIAL' };
    // By id (the service's own tokens): looked up together with the other handshakes of the moment.
    const found =
      ref.by === 'ID'
        ? [await lookUpOperator({ organizationId, operatorId: ref.value })].filter((row) => row !== null)
        : await prisma.operator.findMany({
            where: {
              organizationId,
              deletedAt: null,
              ...(ref.by === 'EXTERNAL_ID' ? { externalId: ref.value } : { email: { equals: ref.value, mode: 'insensitive' as const } }),
            },
            select: { id: true, organizationId: true, tokensValidAfter: true, role: { select: { isAdmin: true } } },
            take: 2,
          });
    const [operator] = found;
    // An email two active operators share names nobody for sure.
    if (!operator || found.length > 1) return { kind: 'anonymous', reason: 'UNKNOWN_CREDENTIAL' };
    if (isTokenRevoked(token.issuedAt, operator.tokensValidAfter)) return { kind: 'anonymous', reason: 'REVOKED' };
    return {
      kind: 'operator',
      organizationId: operator.organizationId,
      operatorId: operator.id,
      isAdmin: operator.role.isAdmin,
      token: { issuedAt: token.issuedAt, expiresAt: token.expiresAt },
    };
  }

  async function lookUp(credential: string): Promise<Viewer> {
    if (credential.startsWith('nbk_')) {
      const parsed = parseApiKey(credential);
      if (!parsed) return { kind: 'anonymous', reason: 'MALFORMED' };
      const key = await prisma.apiKey.findUnique({ where: { id: parsed.keyId } });
      if (!key || key.revokedAt || !secretMatches(parsed.secret, key.secretHash))
        return { kind: 'anonymous', reason: 'UNKNOWN_CREDENTIAL' };
      return { kind: 'integrator', organizationId: key.organizationId, apiKeyId: key.id };
    }
    const check = await verify(credential);
    return check.ok ? operatorViewer(check.token) : { kind: 'anonymous', reason: check.reason };
  }

  /** Lookups in progress, by credential, with the cache generation they began in. */
  const lookups = new Map<string, { generation: number; viewer: Promise<Viewer> }>();
  const credentialOf = (authorization: string | null | undefined) => authorization?.replace(/^Bearer\s+/i, '').trim();
  const knownViewer = (credential: string | undefined): Viewer | undefined => {
    if (!credential) return { kind: 'anonymous' };
    if (credential.length > MAX_CREDENTIAL_LENGTH) return { kind: 'anonymous', reason: 'MALFORMED' };
    return cache.get(credential);
  };

  return {
    cache,
    known: (authorization) => knownViewer(credentialOf(authorization)),
    resolve(authorization) {
      const credential = credentialOf(authorization);
      const known = knownViewer(credential);
      if (known || !credential) return Promise.resolve(known ?? { kind: 'anonymous' });
      // One lookup per credential at a time: when a busy key's entry expires, the requests queued
      // behind it would otherwise each look it up (hundreds at once, holding the pool). A lookup
      // begun before an invalidation is not joined: it may answer with what was just revoked.
      const generation = cache.generation;
      const running = lookups.get(credential);
      if (running?.generation === generation) return running.viewer;
      const viewer = lookUp(credential).then((found) => {
        if (found.kind !== 'anonymous') cache.set(credential, found, generation);
        return found;
      });
      const entry = { generation, viewer };
      lookups.set(credential, entry);
      const done = () => {
        if (lookups.get(credential) === entry) lookups.delete(credential);
      };
      viewer.then(done, done);
      return viewer;
    },
    async invalidate(scope) {
      evict(scope);
      await broadcast?.broadcast(scope);
    },
    close() {
      broadcast?.close();
    },
  };
}

/** A stored organization setting as the verifier takes it. */
export function settingsOf(row: {
  issuer: string;
  audience: string;
  sharedSecret: string | null;
  publicKey: string | null;
  jwksUrl: string | null;
  operatorClaim: string;
  operatorMatch: 'EXTERNAL_ID' | 'EMAIL';
}): HostSignInSettings {
  const key = row.sharedSecret
    ? { kind: 'sharedSecret' as const, secret: row.sharedSecret }
    : row.publicKey
      ? { kind: 'publicKey' as const, pem: row.publicKey }
      : { kind: 'jwks' as const, url: row.jwksUrl ?? '' };
  return { issuer: row.issuer, audience: row.audience, key, operatorClaim: row.operatorClaim, operatorMatch: row.operatorMatch };
}
