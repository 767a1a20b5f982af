/**
 * Maps Prisma's known request errors to AppErrors, so a unique clash or a missing row becomes a
 * typed GraphQL error instead of a masked internal one.
 */
import { AppError, notFound } from '../errors.js';

interface KnownPrismaError {
  code: string;
  meta?: { target?: unknown; modelName?: string };
}

const isKnownPrismaError = (error: unknown): error is KnownPrismaError =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string' &&
  /^P\d{4}$/.test((error as { code: string }).code);

/** `field`: the input naming the row written, reported when it does not exist. */
export function toAppError(error: unknown, what: string, field: string | null = null): unknown {
  if (!isKnownPrismaError(error)) return error;
  if (error.code === 'P2025') return notFound(what, field);
  if (error.code === 'P2002') return new AppError('CONFLICT', `${what} with the same unique value already exists`);
  if (error.code === 'P2003') return new AppError('CONFLICT', `${what} is still referenced by other records`);
  return error;
}

/** Runs a write and rethrows Prisma's known errors as AppErrors. */
export async function mapPrismaErrors<T>(what: string, write: () => Promise<T>, field: string | null = null): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw toAppError(error, what, field);
  }
}
