import { OutboundRefusedError } from '../outbound/outbound-guard.js';

/**
 * A failed delivery attempt. `permanent` failures (a receiver refusing the request with a 4xx, an
 * SMTP 5xx, a deleted addon) go dead at once: retrying cannot make them succeed.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean = false,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** HTTP statuses worth retrying: timeouts, throttling and server errors. */
export const isRetryableStatus = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

/** A DeliveryError for whatever a transport threw. A destination the outbound guard refused stays refused. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof OutboundRefusedError) return new DeliveryError(`refused: ${error.message}`, true);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return new DeliveryError(message.slice(0, 1000), typeof code === 'number' && code >= 500 && code < 600);
}
