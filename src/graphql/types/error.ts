import { AppError, ERROR_CODES } from '../../errors.js';
import type { RateLimitedError } from '../../services/rate-limits/rate-limited-error.js';
import { builder } from '../builder.js';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'Why a request was refused. Nothing was changed when a mutation returns an error.',
  values: Object.fromEntries(ERROR_CODES.map((code) => [code, { value: code }])) as Record<
    (typeof ERROR_CODES)[number],
    { value: (typeof ERROR_CODES)[number] }
  >,
});

builder.objectType(AppError, {
  name: 'AppError',
  description: 'An expected failure: the request was understood but refused, and nothing was changed.',
  fields: (t) => ({
    code: t.expose('code', { type: ErrorCodeEnum, description: 'Machine-readable reason.' }),
    message: t.exposeString('message', { description: 'Human-readable explanation.' }),
    field: t.exposeString('field', { nullable: true, description: 'The input field at fault, as a dotted path.' }),
    retryAfterSeconds: t.int({
      nullable: true,
      description:
        'RATE_LIMITED: seconds until the limit resets and the call may be retried (also the Retry-After header); null otherwise.',
      resolve: (error) => (error as Partial<RateLimitedError>).retryAfterSeconds ?? null,
    }),
  }),
});
