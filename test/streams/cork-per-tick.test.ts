import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { corkPerTick } from '../../src/services/live/cork-per-tick.js';

describe('corkPerTick', () => {
  let server: WebSocketServer;
  let serverSocket: Promise<WebSocket>;
  let client: WebSocket;
  const received: string[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    serverSocket = new Promise((resolve) =>
      server.once('connection', (socket) => {
        corkPerTick(socket);
        resolve(socket);
      }),
    );
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    client.on('message', (data) => received.push(String(data)));
    await new Promise((resolve) => client.once('open', resolve));
  });

  afterAll(async () => {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  const writesOf = (socket: WebSocket) => {
    const raw = (socket as unknown as { _socket: Socket & { _writev: (...args: unknown[]) => void; _write: (...args: unknown[]) => void } })
      ._socket;
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = raw[method].bind(raw);
      raw[method] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    return () => writes;
  };

  it('sends what one tick sends in a few writes, in order, every callback called', async () => {
    const socket = await serverSocket;
    const writes = writesOf(socket);
    received.length = 0;
    const sent = Array.from({ length: 200 }, (_, i) => `message ${i}`);
    const callbacks = await Promise.all(
      sent.map((m) => new Promise<Error | undefined>((resolve) => socket.send(m, (e) => resolve(e ?? undefined)))),
    );
    expect(callbacks.every((e) => e === undefined)).toBe(true);
    await new Promise<void>((resolve) => {
      const check = () => (received.length >= sent.length ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(received).toEqual(sent);
    expect(writes()).toBeLessThanOrEqual(5);
  });

  it('what a callback sends is written once its microtasks are done, before the event loop runs any other callback', async () => {
    const socket = await serverSocket;
    const writes = writesOf(socket);
    received.length = 0;
    // Queued before the sends: a check-phase uncork (one setImmediate) would come after it.
    const writtenBeforeOtherCallbacks = new Promise<number>((resolve) => setImmediate(() => resolve(writes())));
    socket.send('first');
    await Promise.resolve();
    socket.send('second');
    expect(writes()).toBe(0);
    expect(await writtenBeforeOtherCallbacks).toBe(1);
    await new Promise<void>((resolve) => {
      const check = () => (received.length >= 2 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(received).toEqual(['first', 'second']);
  });

  it('a reader that stops reading holds the callbacks back (backpressure kept)', async () => {
    const socket = await serverSocket;
    received.length = 0;
    const clientRaw = (client as unknown as { _socket: Socket })._socket;
    clientRaw.pause();
    const big = 'x'.repeat(64 * 1024);
    const count = 200;
    let released = 0;
    const done = Promise.all(
      Array.from({ length: count }, () => new Promise<void>((resolve) => socket.send(big, () => resolve(void released++)))),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // 12.8 MB cannot all have left: the callbacks past the kernel's buffers wait.
    expect(released).toBeLessThan(count);
    clientRaw.resume();
    await done;
    await new Promise<void>((resolve) => {
      const check = () => (received.length >= count ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(received.every((m) => m === big)).toBe(true);
  }, 30_000);
});
