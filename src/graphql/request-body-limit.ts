/**
 * The request body size limit (yoga's `maxRequestBodySize`, same default, same answers: 413
 * REQUEST_ENTITY_TOO_LARGE past the limit, 400 BAD_REQUEST for a malformed Content-Length), without
 * yoga's stream on every request.
 *
 * Why: yoga pipes every body through a counting TransformStream, and the pipe's end aborts an
 * AbortController (a DOMException with its stack trace): ~90 µs of a `{ __typename }` request,
 * more than anything the service adds. A body that node:http reads under a sane Content-Length
 * cannot be longer than it (the parser stops there, and refuses a request carrying both
 * Content-Length and Transfer-Encoding), so the header alone is enough. Only a body of unknown
 * length (chunked) is still counted as it streams.
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { FetchAPI, Plugin } from 'graphql-yoga';

/** yoga's default. */
export const MAX_REQUEST_BODY_BYTES = 25_000_000;

/** One non-negative integer: anything else (a sign, a list as in request smuggling) is refused. */
const CONTENT_LENGTH = /^\d+$/;

const tooLarge = () =>
  new GraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });

/** Use with yoga's own limit off (`maxRequestBodySize: false`); after the request parsers, like yoga's. */
export function useRequestBodyLimit(limit = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, serverContext, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength !== null) {
        if (!CONTENT_LENGTH.test(contentLength))
          throw new GraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
        if (Number(contentLength) > limit) throw tooLarge();
        // Read by node:http's parser, which ends the body at Content-Length.
        if ((serverContext as { req?: IncomingMessage }).req !== undefined) return;
      }
      if (requestParser === undefined || request.body === null) return;
      const parse = requestParser;
      setRequestParser((req) => parse(counted(req, limit, fetchAPI)));
    },
  };
}

/** The request with a body that errors once more than `limit` bytes have streamed through. */
function counted(request: Request, limit: number, fetchAPI: FetchAPI): Request {
  const body = request.body;
  if (body === null) return request;
  // As yoga does: a native body takes the native TransformStream, the ponyfill's takes its own.
  const Transform = body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
  let read = 0;
  const limited = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > limit) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: limited,
    duplex: 'half',
  } as RequestInit);
}
