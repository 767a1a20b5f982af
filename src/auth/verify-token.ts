/**
 * The one verifier of bearer JWTs (jose), for the service's own tokens and host applications'.
 *
 * 1. The token's unverified `iss` picks the setting: the service's own issuer, else the
 *    organization's setting (organization from the `org` claim, or the only organization whose
 *    setting names that issuer), else the deployment's (HOST_JWT_*, `org` claim required).
 * 2. jose checks the signature with that setting's key and only its algorithms, then `iss`,
 *    `aud`, `exp` (required), `nbf`; the operator claim must be a string.
 * 3. An expiry further ahead than TOKEN_TTL_SECONDS (+ clock skew) is refused: a leaked key cannot
 *    mint everlasting tokens, and lowering the setting shortens tokens already out.
 * Nothing here reads operators: the caller maps the claim (id, externalId or email) to one.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type HostSignInSettings, JWKS_ALGORITHMS, publicKeyAlgorithm } from './host-sign-in.js';
import { type JwksCache, JwksUnavailableError } from './jwks-cache.js';
import { CLOCK_SKEW_SECONDS, SERVICE_TOKEN_AUDIENCE, SERVICE_TOKEN_ISSUER, type TokenRefusal, tokenIssuedAt } from './tokens.js';

export interface VerifiedToken {
  organizationId: string;
  /** How the token names its operator: the service's own tokens by id. */
  operator: { by: 'ID' | 'EXTERNAL_ID' | 'EMAIL'; value: string };
  /** Issue time and expiry, in ms. */
  issuedAt: number;
  expiresAt: number;
}
export type TokenCheck = { ok: true; token: VerifiedToken } | { ok: false; reason: TokenRefusal };

export interface TokenVerifierOptions {
  serviceSecret: string;
  maxTtlSeconds: number;
  /** HOST_JWT_*: the deployment's host application. */
  deployment?: HostSignInSettings | undefined;
  /** The organization's own setting, if any (the caller caches it). */
  organizationSignIn(organizationId: string): Promise<HostSignInSettings | null>;
  /** Organizations whose setting names `issuer` (for host tokens without an `org` claim). */
  organizationsWithIssuer(issuer: string): Promise<string[]>;
  jwks: JwksCache;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The `org` claim as a row id: the organization id, or its global id (what the API shows). */
export function organizationIdOf(claim: unknown): string | null {
  if (typeof claim !== 'string' || claim.length > 200) return null;
  if (UUID.test(claim)) return claim.toLowerCase();
  const decoded = Buffer.from(claim, 'base64').toString('utf8');
  const id = decoded.startsWith('Organization:') ? decoded.slice('Organization:'.length) : '';
  return UUID.test(id) ? id.toLowerCase() : null;
}

type Verification = { key: KeyObject | JWTVerifyGetKey; algorithms: string[]; jwksUrl?: string };

export function createTokenVerifier(options: TokenVerifierOptions): (token: string) => Promise<TokenCheck> {
  const serviceKey = createSecretKey(Buffer.from(options.serviceSecret, 'utf8'));
  const service: HostSignInSettings = {
    issuer: SERVICE_TOKEN_ISSUER,
    audience: SERVICE_TOKEN_AUDIENCE,
    key: { kind: 'sharedSecret', secret: options.serviceSecret },
    operatorClaim: 'sub',
    operatorMatch: 'EXTERNAL_ID',
  };

  async function verificationFor(settings: HostSignInSettings, stale = false): Promise<Verification> {
    const { key } = settings;
    if (settings === service) return { key: serviceKey, algorithms: ['HS256'] };
    if (key.kind === 'sharedSecret') return { key: createSecretKey(Buffer.from(key.secret, 'utf8')), algorithms: ['HS256'] };
    if (key.kind === 'publicKey') {
      const parsed = publicKeyAlgorithm(key.pem);
      if (!parsed.ok) throw new JwksUnavailableError(`the public key ${parsed.reason}`);
      return { key: parsed.key, algorithms: [parsed.algorithm] };
    }
    return { key: await options.jwks.keys(key.url, stale), algorithms: JWKS_ALGORITHMS, jwksUrl: key.url };
  }

  /** The setting and organization a token claims, before its signature is checked. */
  async function settingFor(payload: JWTPayload): Promise<{ settings: HostSignInSettings; organizationId: string } | TokenRefusal> {
    if (typeof payload.iss !== 'string') return 'MALFORMED';
    let organizationId = organizationIdOf(payload.org);
    if (payload.org !== undefined && organizationId === null) return 'MALFORMED';
    if (payload.iss === SERVICE_TOKEN_ISSUER) return organizationId ? { settings: service, organizationId } : 'MALFORMED';
    if (organizationId === null) {
      const candidates = await options.organizationsWithIssuer(payload.iss);
      if (candidates.length !== 1) return candidates.length === 0 && !options.deployment ? 'UNKNOWN_ISSUER' : 'MALFORMED';
      organizationId = candidates[0] ?? '';
    }
    const own = await options.organizationSignIn(organizationId);
    if (own?.issuer === payload.iss) return { settings: own, organizationId };
    if (options.deployment?.issuer === payload.iss) return { settings: options.deployment, organizationId };
    return 'UNKNOWN_ISSUER';
  }

  async function check(token: string, settings: HostSignInSettings, stale = false): Promise<JWTPayload> {
    const { key, algorithms, jwksUrl } = await verificationFor(settings, stale);
    try {
      const verifyOptions = { issuer: settings.issuer, audience: settings.audience, algorithms, requiredClaims: ['exp'] };
      return (await jwtVerify(token, key, verifyOptions)).payload;
    } catch (error) {
      // A key id the cached set lacks: the host may have rotated its keys since the last fetch.
      if (jwksUrl && !stale && error instanceof errors.JWKSNoMatchingKey) return check(token, settings, true);
      throw error;
    }
  }

  return async (token) => {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      return { ok: false, reason: 'MALFORMED' };
    }
    const found = await settingFor(unverified);
    if (typeof found === 'string') return { ok: false, reason: found };
    const { settings, organizationId } = found;
    let payload: JWTPayload;
    try {
      payload = await check(token, settings);
    } catch (error) {
      return { ok: false, reason: refusalOf(error) };
    }
    const subject = payload[settings.operatorClaim];
    const exp = payload.exp ?? 0;
    if (typeof subject !== 'string' || subject === '' || subject.length > 320) return { ok: false, reason: 'CLAIM_MISMATCH' };
    if (exp * 1000 > Date.now() + (options.maxTtlSeconds + CLOCK_SKEW_SECONDS) * 1000) return { ok: false, reason: 'EXPIRY_TOO_FAR' };
    const by = settings === service ? 'ID' : settings.operatorMatch;
    const iat = typeof payload.iat === 'number' ? payload.iat : undefined;
    return {
      ok: true,
      token: {
        organizationId,
        operator: { by, value: subject },
        issuedAt: tokenIssuedAt({ exp, iat }, options.maxTtlSeconds),
        expiresAt: exp * 1000,
      },
    };
  };
}

function refusalOf(error: unknown): TokenRefusal {
  if (error instanceof JwksUnavailableError) return 'KEYS_UNAVAILABLE';
  if (error instanceof errors.JWTExpired) return 'EXPIRED';
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) return 'BAD_SIGNATURE';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'BAD_SIGNATURE';
  if (error instanceof errors.JWTClaimValidationFailed) return 'CLAIM_MISMATCH';
  if (error instanceof errors.JOSEError) return 'MALFORMED';
  throw error;
}
