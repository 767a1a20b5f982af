/**
 * Revoking an operator's tokens: every token issued until now is refused from the next request on
 * (resolveViewer compares its issue time with `tokensValidAfter`), and the operator's open streams,
 * on every instance, hear it on the `operator:tokens-revoked` topic and close with 4403. Tokens
 * issued afterwards work: the operator signs in again and resumes with their cursor.
 */
import { notFound } from '../errors.js';
import { invalidateCredentials } from './invalidate-credentials.js';
import type { Services } from './services.js';

export async function revokeOperatorTokens(services: Services, organizationId: string, operatorId: string): Promise<Date> {
  const validAfter = new Date();
  const { count } = await services.prisma.operator.updateMany({
    where: { id: operatorId, organizationId, deletedAt: null },
    data: { tokensValidAfter: validAfter },
  });
  if (count === 0) throw notFound('Operator', 'operatorId');
  await announceRevocation(services, operatorId, validAfter);
  return validAfter;
}

/** Tells every instance that the operator's tokens issued until `validAfter` no longer hold (also on deletion). */
export async function announceRevocation(services: Services, operatorId: string, validAfter = new Date()): Promise<void> {
  services.live?.pubsub.publish('operator:tokens-revoked', operatorId, { validAfter: validAfter.getTime() });
  await invalidateCredentials(services, { kind: 'operator', id: operatorId });
}
