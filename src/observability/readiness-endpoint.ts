/**
 * `GET <endpoint>`: the readiness answer as JSON, 200 when ready, 503 otherwise (503 with the
 * message as text when the check itself fails). Yoga's useReadinessCheck answered the same, but
 * tested every other request against a URLPattern (~1.5% of a `{ __typename }` request's CPU);
 * here it is one string comparison on the already parsed path.
 */
import type { Plugin } from 'graphql-yoga';
import type { Readiness } from '../services/check-readiness.js';

export function useReadinessEndpoint(endpoint: string, readiness: () => Promise<Readiness>): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      return readiness().then(
        (answer) => endResponse(fetchAPI.Response.json(answer, { status: answer.ready ? 200 : 503 })),
        (error: unknown) =>
          endResponse(
            new fetchAPI.Response(error instanceof Error ? error.message : null, {
              status: 503,
              headers: error instanceof Error ? { 'content-type': 'text/plain; charset=utf-8' } : {},
            }),
          ),
      );
    },
  };
}
