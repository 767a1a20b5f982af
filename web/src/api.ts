/**
 * The console's one HTTP path to the public API: a typed document (web/generated, from
 * schema.graphql) and its variables in, its typed data out. A refused credential signs out.
 */
import type { TypedDocumentString } from '../generated/graphql';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface Api {
  request<R, V>(document: TypedDocumentString<R, V>, ...variables: V extends Record<string, never> ? [] : [V]): Promise<R>;
}

export function createApi(token: string, onUnauthenticated: (message: string) => void): Api {
  return {
    async request(document, ...variables) {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: document.toString(), variables: variables[0] ?? {} }),
      });
      const body = (await response.json()) as { data?: never; errors?: { message: string; extensions?: { code?: string } }[] };
      const error = body.errors?.[0];
      if (error) {
        const code = error.extensions?.code;
        if (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED' || code === 'TOKEN_REVOKED') onUnauthenticated(error.message);
        throw new ApiError(error.message, code);
      }
      if (body.data === undefined) throw new ApiError(`HTTP ${response.status}`, undefined);
      return body.data;
    },
  };
}

/** A refusal answered inside a mutation's result union (`... on AppError`), as an exception. */
export function refused(result: object): void {
  if ('code' in result && typeof result.code === 'string')
    throw new ApiError(String((result as { message?: string }).message ?? result.code), result.code);
}
