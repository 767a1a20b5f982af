/**
 * The refusal of a call over its credential's rate limit: the typed `AppError` with code
 * RATE_LIMITED and the seconds to wait (also sent as `Retry-After` over HTTP).
 */
import { AppError } from '../../errors.js';

export class RateLimitedError extends AppError {
  constructor(
    message: string,
    /** Seconds until the window resets; null when waiting cannot help (a batch larger than the whole limit). */
    readonly retryAfterSeconds: number | null,
    field: string | null = null,
    /** True when the credential has nothing left in this window: any call would be refused until it ends. */
    readonly exhausted = false,
  ) {
    super('RATE_LIMITED', message, field);
  }
}
