/**
 * Pothos hands a resolver `{ select: {} }` when the client selects nothing of the model itself (only
 * `__typename`, or only the AppError branch of a mutation result). Prisma refuses an empty select,
 * so ask for the primary key instead.
 */
export function selection<T extends object>(query: T): T {
  const select = (query as { select?: object }).select;
  return select && Object.keys(select).length === 0 ? ({ ...query, select: { id: true } } as T) : query;
}
