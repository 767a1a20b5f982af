/**
 * Socket writes corked per tick: every message a WebSocket sends during one callback of the event
 * loop (and the microtasks it starts) leaves in one `writev` (one system call) instead of one each.
 * A fan-out burst sends several notifications to the same operator within a turn; the system call,
 * not the framing, is what a message costs.
 *
 * Backpressure is kept: graphql-ws awaits each send's callback before it pulls the next item. Under
 * the cork the callback is called at once, synchronously (the message is queued, nothing else
 * waits on it); once a high-water mark of bytes is queued, the cork is lifted at once and that
 * message's callback waits for the real write, exactly as without the cork. A slow reader so holds
 * at most one high-water mark of bytes more here, and the stream's own bounded buffer
 * (notification-stream.ts) does the rest.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

type SendCallback = (error?: Error) => void;

/** Per socket: whether a cork is on (module-level functions: no closure per socket). */
interface Cork {
  raw: Socket;
  corked: boolean;
}

function uncork(cork: Cork): void {
  if (!cork.corked) return;
  cork.corked = false;
  cork.raw.uncork();
}

/**
 * The sockets corked during this turn, all uncorked by one `process.nextTick`: it runs once the
 * microtasks of the current callback are done (graphql-ws sends a burst's items in microtasks, so
 * they still leave together), and before the event loop runs any other callback: a report's
 * notification does not wait behind the rest of the poll phase (other requests, other commits), as
 * it did with one setImmediate per socket.
 */
let corkedThisTurn: Cork[] = [];

function uncorkAll(): void {
  const corks = corkedThisTurn;
  corkedThisTurn = [];
  for (const cork of corks) uncork(cork);
}

export function corkPerTick(socket: WebSocket): void {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  if (raw === undefined) return;
  const send = socket.send.bind(socket) as (data: unknown, options: object | undefined, cb?: SendCallback) => void;
  const cork: Cork = { raw, corked: false };
  socket.send = ((data: unknown, options?: object | SendCallback, cb?: SendCallback) => {
    const callback = typeof options === 'function' ? (options as SendCallback) : cb;
    const opts = typeof options === 'object' ? options : undefined;
    if (socket.readyState !== socket.OPEN || raw.destroyed) return send(data, opts, callback);
    if (!cork.corked) {
      cork.corked = true;
      raw.cork();
      if (corkedThisTurn.length === 0) process.nextTick(uncorkAll);
      corkedThisTurn.push(cork);
    }
    if (raw.writableLength >= raw.writableHighWaterMark) {
      send(data, opts, callback);
      uncork(cork);
      return;
    }
    send(data, opts);
    // Queued: released at once, before send returns (graphql-ws's send only settles a promise with
    // it; a queued microtask is an async resource of its own per message).
    callback?.();
  }) as WebSocket['send'];
}
