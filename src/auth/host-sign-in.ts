/**
 * Host-app sign-in settings: which JWTs a host application (the product backend embedding the
 * Chat Panel) may sign for its users, and how a token's claim names an operator. One setting per
 * deployment (HOST_JWT_* environment variables) and/or one per organization (configureHostSignIn).
 *
 * The key decides the accepted algorithms, never the token's header: an HS256 secret accepts only
 * HS256, a public key only its own type's algorithm, a JWKS only asymmetric algorithms (no
 * algorithm confusion, no `none`).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

export type OperatorMatch = 'EXTERNAL_ID' | 'EMAIL';

export type SignInKey = { kind: 'sharedSecret'; secret: string } | { kind: 'publicKey'; pem: string } | { kind: 'jwks'; url: string };

export interface HostSignInSettings {
  issuer: string;
  audience: string;
  key: SignInKey;
  /** The claim that names the operator (default `sub`). */
  operatorClaim: string;
  /** What that claim holds. */
  operatorMatch: OperatorMatch;
}

/** HS256 keys shorter than the hash are guessable offline (RFC 7518 §3.2 asks for ≥ 256 bits). */
export const MIN_SHARED_SECRET_LENGTH = 32;

export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The algorithm a PEM public key signs with, or an error message. */
export function publicKeyAlgorithm(pem: string): { ok: true; key: KeyObject; algorithm: string } | { ok: false; reason: string } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { ok: false, reason: 'is not a PEM public key' };
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
        ? { ok: true, key, algorithm: 'RS256' }
        : { ok: false, reason: 'is an RSA key shorter than 2048 bits' };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const algorithm = curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : null;
      return algorithm ? { ok: true, key, algorithm } : { ok: false, reason: `uses the unsupported curve ${curve}` };
    }
    case 'ed25519':
      return { ok: true, key, algorithm: 'EdDSA' };
    default:
      return { ok: false, reason: `is a ${key.asymmetricKeyType} key (RSA, EC P-256/384/521 or Ed25519 expected)` };
  }
}

/** Checks a setting; the first problem as `{ field, reason }` (field names of ConfigureHostSignInInput). */
export function checkHostSignIn(settings: HostSignInSettings): { field: string; reason: string } | null {
  if (settings.issuer.trim() === '') return { field: 'issuer', reason: 'must not be empty' };
  if (settings.audience.trim() === '') return { field: 'audience', reason: 'must not be empty' };
  if (!/^[A-Za-z0-9_.:/-]{1,200}$/.test(settings.operatorClaim))
    return { field: 'operatorClaim', reason: 'must be a claim name (letters, digits, _ . : / -)' };
  const { key } = settings;
  if (key.kind === 'sharedSecret' && key.secret.length < MIN_SHARED_SECRET_LENGTH)
    return { field: 'sharedSecret', reason: `must be at least ${MIN_SHARED_SECRET_LENGTH} characters` };
  if (key.kind === 'publicKey') {
    const parsed = publicKeyAlgorithm(key.pem);
    if (!parsed.ok) return { field: 'publicKey', reason: parsed.reason };
  }
  return null;
}

/** The deployment's setting from the environment (HOST_JWT_*), or undefined when none is set. */
export function hostSignInFromEnv(env: NodeJS.ProcessEnv): HostSignInSettings | undefined {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const issuer = value('HOST_JWT_ISSUER');
  const keys = [
    ['HOST_JWT_SECRET', value('HOST_JWT_SECRET')],
    ['HOST_JWT_PUBLIC_KEY', value('HOST_JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n')],
    ['HOST_JWT_JWKS_URL', value('HOST_JWT_JWKS_URL')],
  ] as const;
  const given = keys.filter(([, v]) => v !== undefined);
  if (issuer === undefined) {
    if (given.length > 0) throw new Error('HOST_JWT_ISSUER must be set with HOST_JWT_SECRET, HOST_JWT_PUBLIC_KEY or HOST_JWT_JWKS_URL');
    return undefined;
  }
  const audience = value('HOST_JWT_AUDIENCE');
  if (audience === undefined) throw new Error('HOST_JWT_AUDIENCE must be set with HOST_JWT_ISSUER');
  if (given.length !== 1) throw new Error('Set exactly one of HOST_JWT_SECRET, HOST_JWT_PUBLIC_KEY, HOST_JWT_JWKS_URL');
  const [name, raw = ''] = given[0] ?? [];
  const key: SignInKey =
    name === 'HOST_JWT_SECRET'
      ? { kind: 'sharedSecret', secret: raw }
      : name === 'HOST_JWT_PUBLIC_KEY'
        ? { kind: 'publicKey', pem: raw }
        : { kind: 'jwks', url: raw };
  const match = value('HOST_JWT_OPERATOR_MATCH') ?? 'externalId';
  if (match !== 'externalId' && match !== 'email') throw new Error(`HOST_JWT_OPERATOR_MATCH must be externalId or email, got "${match}"`);
  const settings: HostSignInSettings = {
    issuer,
    audience,
    key,
    operatorClaim: value('HOST_JWT_OPERATOR_CLAIM') ?? 'sub',
    operatorMatch: match === 'email' ? 'EMAIL' : 'EXTERNAL_ID',
  };
  const problem = checkHostSignIn(settings);
  if (problem) throw new Error(`HOST_JWT setting ${problem.field} ${problem.reason}`);
  return settings;
}
