/**
 * The operator-token signing key: configured (TOKEN_SECRET), or generated once and kept in the
 * database so every instance on it, and every restart, accepts the same tokens.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

export async function loadTokenSecret(prisma: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const candidate = randomBytes(32).toString('base64url');
  await prisma.serviceSecret.upsert({ where: { name: 'token' }, create: { name: 'token', value: candidate }, update: {} });
  const stored = await prisma.serviceSecret.findUniqueOrThrow({ where: { name: 'token' } });
  return stored.value;
}
