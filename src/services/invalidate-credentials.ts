/**
 * Every change of what a credential resolves to calls this (after its write commits): the
 * credential cache evicts it here at once and on every other instance (src/auth/credential-cache.ts).
 */
import type { CredentialScope } from '../auth/credential-cache.js';
import type { Services } from './services.js';

export async function invalidateCredentials(services: Services, scope: CredentialScope): Promise<void> {
  await services.authentication?.invalidate(scope);
}
