/**
 * Issue 8: live items are resolved by code compiled once per document and served straight to
 * graphql-ws (services/live/compiled-subscriptions.ts). What a client receives must be exactly what
 * graphql-js produces for the same selection, and an unexpected error stays masked.
 */
import { parse, subscribe as subscribeGraphql } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { schema } from '../../src/graphql/schema.js';
import type { LiveItem } from '../../src/services/live/live-item.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, pause } from './stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { presenceGraceMs: 60_000 } });
});
afterAll(() => server.stop());

const SELECTIONS = {
  notifications: /* GraphQL */ `
    fragment Shown on LiveNotification { showNotification sound playSound }
    subscription Live($withBody: Boolean!) {
      live: notifications {
        __typename
        heading: title
        body @include(if: $withBody)
        ...Shown
        ... on LiveNotification { kind: event cursor eventId inboxItemId chatId widgetId replayed occurredAt }
      }
    }
  `,
  notificationFeed: /* GraphQL */ `
    subscription Feed($withBody: Boolean!) {
      notificationFeed {
        __typename
        ... on LiveNotification { title body @skip(if: $withBody) shown: showNotification cursor event occurredAt }
        ... on CatchUpSummary { unreadCount }
      }
    }
  `,
};

const item = (title: string, overrides: Partial<LiveItem> = {}): LiveItem => ({
  seq: null,
  inboxItemId: null,
  eventId: '6f7e3a52-3a0c-4d55-9d0e-0d3d9a1b2c3d',
  kind: 'SYSTEM_MESSAGE',
  chatId: null,
  chatExternalId: null,
  widgetId: null,
  title,
  body: 'body',
  browser: true,
  sound: null,
  createdAt: '2026-12-01T10:00:00.000Z',
  ...overrides,
});

/** Receives what graphql-ws sends for `query` on a socket of `token`. */
function receive(token: string, query: string, variables: Record<string, unknown>) {
  const connection = connect(server, token);
  const results: { data?: unknown; errors?: readonly { message: string; extensions?: unknown }[] }[] = [];
  const errors: unknown[] = [];
  connection.client.subscribe({ query, variables }, { next: (r) => results.push(r), error: (e) => errors.push(e), complete: () => {} });
  return { connection, results, errors };
}

const until = async (check: () => boolean, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await pause(20);
  }
};

describe('compiled subscriptions', () => {
  for (const [field, query] of Object.entries(SELECTIONS)) {
    it(`${field}: what the socket receives equals graphql-js's result for the same selection (aliases, __typename, fragments, @include/@skip)`, async () => {
      const { operators } = await liveOrganization(server, ['Ann']);
      const ann = operators.Ann!;
      const variables = { withBody: true };
      // graphql-js, in process, on a stream of its own for the same operator and the same selection.
      const viewer = await server.app.services.authentication!.resolve(`Bearer ${ann.token}`);
      const contextValue: Context = { prisma: server.app.database.prisma, services: server.app.services, viewer };
      const reference = await subscribeGraphql({ schema, document: parse(query), contextValue, variableValues: variables });
      if (!(Symbol.asyncIterator in reference)) throw new Error(`graphql-js refused: ${JSON.stringify(reference)}`);
      const socket = receive(ann.token, query, variables);
      await eventually(
        async () => server.app.services.live!.registry.streamsOf(ann.id).length,
        (n) => n === 2,
      );
      await pause(100); // the feed's catch-up check, if any, comes first on both
      server.app.services.live!.pubsub.publish('operator:notification', ann.id, item('compiled'));
      // (A feed may send a catch-up summary first: the comparison is of the item.)
      let expected = await reference.next();
      while (!JSON.stringify(expected.value).includes('compiled')) expected = await reference.next();
      await until(() => socket.results.some((r) => JSON.stringify(r).includes('compiled')));
      expect(socket.results.at(-1)).toEqual(JSON.parse(JSON.stringify(expected.value)));
      expect(JSON.stringify(socket.results.at(-1))).toContain('"__typename":"LiveNotification"');
      await reference.return?.();
      await socket.connection.client.dispose();
    });
  }

  it('an unexpected error while resolving an item is masked, and the stream goes on', async () => {
    const { operators } = await liveOrganization(server, ['Bea']);
    const bea = operators.Bea!;
    const socket = receive(bea.token, 'subscription { notifications { body title } }', {});
    await eventually(
      async () => server.app.services.live!.registry.streamsOf(bea.id).length,
      (n) => n === 1,
    );
    const { pubsub } = server.app.services.live!;
    // The in-process pub/sub hands the item over as is: its title resolver throws a plain Error.
    const broken = Object.defineProperty(item('broken'), 'title', {
      get: () => {
        throw new Error('secret detail');
      },
    });
    pubsub.publish('operator:notification', bea.id, broken);
    pubsub.publish('operator:notification', bea.id, item('fine'));
    await until(() => socket.results.length === 2);
    const [failed, fine] = socket.results;
    expect(failed?.data).toBeNull();
    expect(failed?.errors).toEqual([
      expect.objectContaining({
        message: 'Unexpected error.',
        path: ['notifications', 'title'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true },
      }),
    ]);
    expect(JSON.stringify(failed)).not.toContain('secret detail');
    expect(fine).toEqual({ data: { notifications: { body: 'body', title: 'fine' } } });
    expect(socket.errors).toEqual([]);
    await socket.connection.client.dispose();
  });

  it('an unexpected error thrown by a stream reaches the client masked, and the stream is released', async () => {
    const { operators } = await liveOrganization(server, ['Cid']);
    const cid = operators.Cid!;
    const socket = receive(cid.token, 'subscription { notifications { title } }', {});
    await eventually(
      async () => server.app.services.live!.registry.streamsOf(cid.id).length,
      (n) => n === 1,
    );
    // A seq gap makes the stream read the inbox first; that read fails here (a database fault).
    const prisma = server.app.database.prisma as unknown as { inboxItem: { findMany: (...args: unknown[]) => unknown } };
    const findMany = prisma.inboxItem.findMany;
    prisma.inboxItem.findMany = () => Promise.reject(new Error('connection reset: secret detail'));
    try {
      server.app.services.live!.pubsub.publish('operator:notification', cid.id, item('gap', { seq: 5 }));
      await until(() => socket.errors.length > 0);
    } finally {
      prisma.inboxItem.findMany = findMany;
    }
    expect(JSON.stringify(socket.errors[0])).toContain('Unexpected error.');
    expect(JSON.stringify(socket.errors[0])).not.toContain('secret detail');
    await eventually(
      async () => server.app.services.live!.registry.streamsOf(cid.id).length,
      (n) => n === 0,
    );
    await socket.connection.client.dispose();
  });
});
