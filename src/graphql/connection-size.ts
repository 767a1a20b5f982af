/**
 * Page sizes of every connection: the builder applies them to each connection field, and the
 * operation cost limit multiplies by the same numbers, so the two can never disagree.
 */

/** Rows a connection returns when the caller passes neither `first` nor `last`. */
export const DEFAULT_CONNECTION_SIZE = 20;
/** Most rows one page may hold: a larger `first`/`last` is cut down to it. */
export const MAX_CONNECTION_SIZE = 100;

/** The rows one page of a connection can return for these arguments. */
export function connectionPageSize(args: { first?: unknown; last?: unknown }): number {
  const sizes = [args.first, args.last].filter((size): size is number => typeof size === 'number');
  const asked = sizes.length > 0 ? Math.max(...sizes) : DEFAULT_CONNECTION_SIZE;
  return Math.max(0, Math.min(asked, MAX_CONNECTION_SIZE));
}
