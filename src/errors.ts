/**
 * Expected failures. Every one carries a code from ERROR_CODES; the GraphQL layer exposes them as
 * the typed `AppError` result (errors plugin). Anything else stays masked by yoga.
 */
export const ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'CONFLICT',
  'CHAT_FINISHED',
  'CHAT_ALREADY_STARTED',
  'CHANNEL_NOT_AVAILABLE',
  'IDEMPOTENCY_KEY_REUSED',
  'FORBIDDEN',
  /** A global id that is malformed or names another type. */
  'INVALID_ID',
  /** A free-text input over its length limit. */
  'TOO_LONG',
  /** An outbound URL (addon, Help Scout API) that names a refused address. */
  'URL_NOT_ALLOWED',
  /** Too many requests or happenings for the caller's limit; retry after the seconds given. */
  'RATE_LIMITED',
  /** Retention: the event is older than the organization's window; its decisions were removed. */
  'EVENT_EXPIRED',
  /** Retention: a replay cursor older than the oldest kept inbox item; resync (see the error's resyncAfter). */
  'CURSOR_EXPIRED',
  /** A preference an admin locked (extensions E1): it cannot be changed while the lock holds. */
  'PREFERENCE_LOCKED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field at fault, as a dotted path (`input.widgetId`, `happenings.3.chatId`). */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, field: string | null = null) =>
  new AppError('NOT_FOUND', `${what} does not exist in this organization`, field);

export const invalidInput = (message: string, field: string | null = null) => new AppError('INVALID_INPUT', message, field);
