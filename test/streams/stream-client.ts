/**
 * Helpers for the stream tests: the real graphql-ws client over `ws`, a raw graphql-transport-ws
 * socket whose reading can be paused (a slow or vanished client), and an operator factory.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { rawId, type Seeder, seedOrganization } from '../helpers/seed.js';
import type { TestServer } from '../helpers/test-server.js';

export const NOTIFICATIONS = /* GraphQL */ `
  subscription ($after: String) {
    notifications(after: $after) { cursor event eventId inboxItemId chatId widgetId title body showNotification playSound sound replayed occurredAt }
  }
`;

export interface Notification {
  cursor: string;
  event: string;
  title: string;
  body: string;
  showNotification: boolean;
  playSound: boolean;
  sound: string | null;
  replayed: boolean;
  inboxItemId: string | null;
  chatId: string | null;
}

export const wsUrl = (server: TestServer) => `${server.url.replace(/^http/, 'ws')}/graphql`;

export interface Connection {
  client: Client;
  /** Resolves with the close code once the socket closes. */
  closed: Promise<number>;
}

export function connect(server: TestServer, token: string | null, retry = false): Connection {
  let onClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    onClosed = resolve;
  });
  const client = createClient({
    url: wsUrl(server),
    webSocketImpl: WebSocket,
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    retryAttempts: retry ? 5 : 0,
    lazy: false,
    on: { closed: (event) => onClosed((event as { code: number }).code) },
    onNonLazyError: () => {},
  });
  return { client, closed };
}

export interface Subscription {
  items: Notification[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `count` items arrived (rejects after `ms`, reporting what did). */
  waitFor(count: number, ms?: number): Promise<Notification[]>;
  waitForError(ms?: number): Promise<unknown>;
  dispose(): void;
}

export function subscribe(client: Client, after: string | null = null): Subscription {
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  const sub: Subscription = {
    items: [],
    errors: [],
    completed: false,
    waitFor(count, ms = 15_000) {
      return until(
        () => sub.items.length >= count,
        ms,
        () => `${sub.items.length}/${count} items (${sub.items.map((i) => i.title).join(' | ')}) errors ${JSON.stringify(sub.errors)}`,
      ).then(() => sub.items);
    },
    waitForError(ms = 15_000) {
      return until(
        () => sub.errors.length > 0,
        ms,
        () => 'no error',
      ).then(() => sub.errors[0]);
    },
    dispose: () => {},
  };
  const until = (done: () => boolean, ms: number, describe: () => string) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out: ${describe()}`));
      }, ms);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
    });
  sub.dispose = client.subscribe<{ notifications: Notification }>(
    { query: NOTIFICATIONS, variables: { after } },
    {
      next: (result) => {
        if (result.errors) sub.errors.push(result.errors);
        if (result.data) sub.items.push(result.data.notifications);
        notify();
      },
      error: (error) => {
        sub.errors.push(error);
        notify();
      },
      complete: () => {
        sub.completed = true;
        notify();
      },
    },
  );
  return sub;
}

/** A graphql-transport-ws socket by hand, subscribed to notifications; `pause()` stops reading it. */
export async function rawSubscriber(server: TestServer, token: string) {
  const socket = new WebSocket(wsUrl(server), 'graphql-transport-ws');
  const messages: { type: string; payload?: unknown }[] = [];
  let closeCode: number | null = null;
  const closed = new Promise<number>((resolve) =>
    socket.on('close', (code) => {
      closeCode = code;
      resolve(code);
    }),
  );
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await new Promise<void>((resolve) => {
    const check = () => (messages.some((m) => m.type === 'connection_ack') ? resolve() : setTimeout(check, 10));
    check();
  });
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: NOTIFICATIONS, variables: {} } }));
  return { socket, messages, closed, closeCode: () => closeCode };
}

export interface LiveOrg {
  seeder: Seeder;
  /** Raw (database) ids of the operators by name, and their tokens. */
  operators: Record<string, { id: string; globalId: string; token: string }>;
}

export async function liveOrganization(server: TestServer, names: string[]): Promise<LiveOrg> {
  const seeder = await seedOrganization(server, 'Live org');
  const operators: LiveOrg['operators'] = {};
  for (const name of names) {
    const globalId = await seeder.operator(name);
    operators[name] = { id: rawId(globalId), globalId, token: await seeder.token(globalId) };
  }
  return { seeder, operators };
}

const REPORT = /* GraphQL */ `
  mutation ($input: ReportHappeningsInput!) {
    reportHappenings(input: $input) { __typename ... on AppError { code message field } }
  }
`;

/** Reports system messages titled `${prefix}${i}` for i in [from, to), in one batch, over HTTP. */
export async function reportSystemMessages(server: TestServer, apiKey: string, prefix: string, from: number, to: number): Promise<void> {
  const happenings = Array.from({ length: to - from }, (_, i) => ({ systemMessage: { title: `${prefix}${from + i}`, body: 'b' } }));
  const response = await server.gql<{ reportHappenings: { __typename: string } }>(REPORT, { input: { happenings } }, apiKey);
  if (response.errors || !response.data?.reportHappenings.__typename.endsWith('Success')) throw new Error(JSON.stringify(response));
}

/** Polls `read` until `accept` holds (deadline 15 s): for server state that settles asynchronously. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`never settled: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
