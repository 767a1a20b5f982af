/**
 * An organization's host-app sign-in setting (admins): stored, checked before it is stored (a
 * setting that could never verify a token, or a JWKS URL the outbound guard refuses, is refused
 * with the field at fault), and every credential of the organization is evicted from the cache on
 * every instance once it changes.
 */
import { checkHostSignIn, type HostSignInSettings, type OperatorMatch, type SignInKey } from '../auth/host-sign-in.js';
import { AppError, invalidInput } from '../errors.js';
import { invalidateCredentials } from './invalidate-credentials.js';
import type { Services } from './services.js';

export interface HostSignInInput {
  issuer: string;
  audience: string;
  sharedSecret?: string | null;
  publicKey?: string | null;
  jwksUrl?: string | null;
  operatorClaim?: string | null;
  operatorMatch?: OperatorMatch | null;
}

function keyOf(input: HostSignInInput): SignInKey {
  const given = [
    input.sharedSecret ? ({ kind: 'sharedSecret', secret: input.sharedSecret } as const) : null,
    input.publicKey ? ({ kind: 'publicKey', pem: input.publicKey.trim() } as const) : null,
    input.jwksUrl ? ({ kind: 'jwks', url: input.jwksUrl.trim() } as const) : null,
  ].filter((key) => key !== null);
  const [key] = given;
  if (!key || given.length > 1) throw invalidInput('Give exactly one of sharedSecret, publicKey, jwksUrl', 'input');
  return key;
}

export async function configureHostSignIn(services: Services, organizationId: string, input: HostSignInInput) {
  const settings: HostSignInSettings = {
    issuer: input.issuer.trim(),
    audience: input.audience.trim(),
    key: keyOf(input),
    operatorClaim: input.operatorClaim?.trim() || 'sub',
    operatorMatch: input.operatorMatch ?? 'EXTERNAL_ID',
  };
  const problem = checkHostSignIn(settings);
  if (problem) throw invalidInput(`${problem.field} ${problem.reason}`, `input.${problem.field}`);
  if (settings.key.kind === 'jwks') services.outbound.assertUrlAllowed(settings.key.url, 'input.jwksUrl');
  if (settings.issuer === 'notification-backbone')
    throw new AppError('CONFLICT', 'The issuer "notification-backbone" is the service itself', 'input.issuer');
  const data = {
    issuer: settings.issuer,
    audience: settings.audience,
    sharedSecret: settings.key.kind === 'sharedSecret' ? settings.key.secret : null,
    publicKey: settings.key.kind === 'publicKey' ? settings.key.pem : null,
    jwksUrl: settings.key.kind === 'jwks' ? settings.key.url : null,
    operatorClaim: settings.operatorClaim,
    operatorMatch: settings.operatorMatch,
  };
  const stored = await services.prisma.hostSignIn.upsert({ where: { organizationId }, create: { organizationId, ...data }, update: data });
  await invalidateCredentials(services, { kind: 'organization', id: organizationId });
  return stored;
}

/** Removes the setting; true when there was one. Tokens it accepted are refused from now on. */
export async function removeHostSignIn(services: Services, organizationId: string): Promise<boolean> {
  const { count } = await services.prisma.hostSignIn.deleteMany({ where: { organizationId } });
  await invalidateCredentials(services, { kind: 'organization', id: organizationId });
  return count > 0;
}
