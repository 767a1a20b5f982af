/**
 * Several instances on one database and one Redis (issue 3, "past one machine"): a notification
 * reported through one instance reaches the streams of another exactly once, Chat Panel changes
 * reach open streams on every instance, presence counts the streams of every instance, and
 * streamsInEffect lists the streams of every instance with the preferences in effect on each.
 * Each run uses its own Redis prefix, so parallel test files never hear each other.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InstancePair, REDIS_URL, startInstancePair } from '../helpers/instance-pair.js';
import type { TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, pause, reportSystemMessages, subscribe } from './stream-client.js';

const GRACE_MS = 1000;
let pair: InstancePair;
let prefix: string;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  pair = await startInstancePair({ presenceGraceMs: GRACE_MS });
  ({ a, b, prefix } = pair);
});
afterAll(async () => {
  await pair?.stop();
});

const STREAMS = /* GraphQL */ `
  query { streamsInEffect { streams { id preferences { event channel enabled } } } }
`;
type StreamsInEffect = {
  streamsInEffect: { streams: { id: string; preferences: { event: string; channel: string; enabled: boolean }[] }[] };
};
/** Waits until `server` lists `count` open streams of the operator (on every instance). */
const streamCount = (server: TestServer, token: string, count = 1) =>
  eventually(
    () => server.gql<StreamsInEffect>(STREAMS, {}, token),
    (r) => r.data?.streamsInEffect.streams.length === count,
  );
const CHAT_PANEL = /* GraphQL */ `
  mutation ($input: UpdateChatPanelPreferencesInput!) { updateChatPanelPreferences(input: $input) { __typename } }
`;
const EFFECT = /* GraphQL */ `
  query ($operatorId: ID) {
    streamsInEffect(operatorId: $operatorId) {
      streams { id bufferedItems preferences { event channel enabled } differences { event channel enabled } }
    }
  }
`;
type LivePreference = { event: string; channel: string; enabled: boolean };
type Effect = {
  streamsInEffect: {
    streams: { id: string; bufferedItems: number | null; preferences: LivePreference[]; differences: LivePreference[] }[];
  };
};
const DASHBOARD = /* GraphQL */ `
  mutation ($input: UpdateDashboardPreferencesInput!) { updateDashboardPreferences(input: $input) { __typename } }
`;
const PRESENCE = /* GraphQL */ `query { operatorPresence { operator { name } presence openStreams } }`;
type Presence = { operatorPresence: { operator: { name: string }; presence: string; openStreams: number }[] };

describe('two instances on one database and one Redis', () => {
  it('a notification reported through B reaches streams on A and on B, exactly once, in order', async () => {
    const { seeder, operators } = await liveOrganization(a, ['Ann']);
    const ann = operators.Ann!;
    const onA = connect(a, ann.token);
    const onB = connect(b, ann.token);
    const subA = subscribe(onA.client);
    const subB = subscribe(onB.client);
    await streamCount(a, ann.token, 2);
    await streamCount(b, ann.token, 2);
    await reportSystemMessages(b, seeder.org.apiKey, 'm', 0, 10);
    await reportSystemMessages(a, seeder.org.apiKey, 'm', 10, 20);
    const expected = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const sub of [subA, subB]) await sub.waitFor(20);
    await pause(200); // nothing more may arrive: no duplicate through both instances
    for (const sub of [subA, subB]) {
      expect(sub.items.filter((i) => i.event === 'SYSTEM_MESSAGE').map((i) => i.title)).toEqual(expected);
      expect(sub.items.every((i) => !i.replayed)).toBe(true);
    }
    await onA.client.dispose();
    await onB.client.dispose();
  });

  it('Chat Panel changes made through B reach the open streams on A', async () => {
    const { seeder, operators } = await liveOrganization(a, ['Dora']);
    const dora = operators.Dora!;
    const open = connect(a, dora.token);
    const sub = subscribe(open.client);
    await streamCount(a, dora.token);
    const browserOn = async () =>
      (await a.gql<StreamsInEffect>(STREAMS, {}, dora.token)).data?.streamsInEffect.streams[0]?.preferences.find(
        (p) => p.event === 'SYSTEM_MESSAGE' && p.channel === 'BROWSER',
      )?.enabled;
    const change = (enabled: boolean) => ({ input: { changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled }] } });

    const off = await b.gql<{ updateChatPanelPreferences: { __typename: string } }>(CHAT_PANEL, change(false), dora.token);
    expect(off.data?.updateChatPanelPreferences.__typename).toMatch(/Success$/);
    await eventually(browserOn, (enabled) => enabled === false);
    await reportSystemMessages(b, seeder.org.apiKey, 'd', 0, 1);
    await b.gql(CHAT_PANEL, change(true), dora.token);
    await eventually(browserOn, (enabled) => enabled === true);
    await reportSystemMessages(b, seeder.org.apiKey, 'd', 1, 2);
    await sub.waitFor(1);
    await pause(150);
    expect(sub.items.map((i) => i.title)).toEqual(['d1']);

    // The Redis path itself: a change published by B's pub/sub (as B's own process would) reaches A.
    b.app.services.live!.pubsub.publish('operator:preferences', dora.id, {
      changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: false }],
    });
    await eventually(browserOn, (enabled) => enabled === false);
    await open.client.dispose();
  });

  it('presence counts the streams of both instances: OFFLINE only once the last one anywhere closed', async () => {
    const { operators } = await liveOrganization(a, ['Walt', 'Pia']);
    const watcher = connect(a, operators.Walt!.token);
    const seen = subscribe(watcher.client);
    await streamCount(a, operators.Walt!.token);
    const pia = operators.Pia!;
    const presenceOf = async (server: TestServer) =>
      (await server.gql<Presence>(PRESENCE, {}, operators.Walt!.token)).data?.operatorPresence.find((p) => p.operator.name === 'Pia');
    const piaEvents = () => seen.items.filter((i) => i.title.startsWith('Pia ')).map((i) => i.event);

    const onA = connect(a, pia.token);
    subscribe(onA.client);
    await streamCount(a, pia.token);
    const onB = connect(b, pia.token);
    subscribe(onB.client);
    await streamCount(b, pia.token, 2);
    for (const server of [a, b])
      await eventually(
        () => presenceOf(server),
        (p) => p?.presence === 'ONLINE' && p.openStreams === 2,
      );

    await onA.client.dispose();
    await eventually(
      () => presenceOf(b),
      (p) => p?.openStreams === 1,
    );
    await pause(GRACE_MS * 2); // past the grace period: still ONLINE, the stream on B is open
    expect(await presenceOf(a)).toMatchObject({ presence: 'ONLINE', openStreams: 1 });

    await onB.client.dispose();
    await eventually(
      () => presenceOf(a),
      (p) => p?.presence === 'OFFLINE' && p.openStreams === 0,
    );
    await eventually(
      async () => piaEvents(),
      (events) => events.length >= 2,
    );
    await pause(GRACE_MS); // both instances sweep: still one OFFLINE
    expect(piaEvents()).toEqual(['OPERATOR_ONLINE', 'OPERATOR_OFFLINE']);
    await watcher.client.dispose();
  });

  it('streamsInEffect through A lists the streams on A and on B, each with its own preferences', async () => {
    const { seeder, operators } = await liveOrganization(a, ['Eve']);
    const eve = operators.Eve!;
    const effect = async () =>
      (await a.gql<Effect>(EFFECT, { operatorId: eve.globalId }, seeder.org.adminToken)).data?.streamsInEffect.streams ?? [];
    const browser = (stream: Effect['streamsInEffect']['streams'][number] | undefined) =>
      stream?.preferences.find((p) => p.event === 'SYSTEM_MESSAGE' && p.channel === 'BROWSER')?.enabled;

    const onA = connect(a, eve.token);
    subscribe(onA.client);
    await streamCount(a, eve.token);
    const onB = connect(b, eve.token);
    subscribe(onB.client);
    const both = await eventually(effect, (streams) => streams.length === 2);
    const [streamA, streamB] = both;
    expect(both.map((s) => s.bufferedItems)).toEqual([0, null]); // known on the stream's own instance only
    expect(both.map(browser)).toEqual([true, true]);

    // A Dashboard change reaches new streams only: a new stream on B starts with it, the others keep theirs.
    const off = { changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: false }] };
    const dashboard = await a.gql<{ updateDashboardPreferences: { __typename: string } }>(
      DASHBOARD,
      { input: { operatorId: eve.globalId, ...off } },
      seeder.org.adminToken,
    );
    expect(dashboard.data?.updateDashboardPreferences.__typename).toMatch(/Success$/);
    const fresh = connect(b, eve.token);
    subscribe(fresh.client);
    const three = await eventually(effect, (streams) => streams.length === 3);
    expect(three.slice(0, 2).map((s) => s.id)).toEqual([streamA!.id, streamB!.id]);
    expect(three.map(browser)).toEqual([true, true, false]);
    const onlyBrowser = [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: true }];
    expect(three.map((s) => s.differences)).toEqual([onlyBrowser, onlyBrowser, []]);

    // A Chat Panel change (made through A) reaches every open stream, on both instances.
    const on = { changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: true }] };
    const panel = await a.gql<{ updateChatPanelPreferences: { __typename: string } }>(CHAT_PANEL, { input: on }, eve.token);
    expect(panel.data?.updateChatPanelPreferences.__typename).toMatch(/Success$/);
    const changed = await eventually(effect, (streams) => streams.length === 3 && streams.every((s) => browser(s) === true));
    expect(changed.map((s) => s.differences)).toEqual([[], [], []]);

    // Closing B's first stream removes it from the listing on both instances.
    await onB.client.dispose();
    const left = await eventually(effect, (streams) => streams.length === 2);
    expect(left.map((s) => s.id)).toEqual([streamA!.id, three[2]!.id]);
    const throughB = await b.gql<Effect>(EFFECT, { operatorId: eve.globalId }, seeder.org.adminToken);
    expect(throughB.data?.streamsInEffect.streams.map((s) => s.id)).toEqual([streamA!.id, three[2]!.id]);
    await onA.client.dispose();
    await fresh.client.dispose();
    await eventually(effect, (streams) => streams.length === 0);
  });

  it('the streams of an instance that vanished expire, and their operator goes OFFLINE', async () => {
    const { seeder, operators } = await liveOrganization(a, ['Watcher', 'Cid']);
    const watcher = connect(a, operators.Watcher!.token);
    const seen = subscribe(watcher.client);
    await streamCount(a, operators.Watcher!.token);
    const cid = operators.Cid!;
    await a.gql(`mutation { setMyPresence(presence: ONLINE) { __typename } }`, {}, cid.token);
    // What a crashed instance leaves behind: a stream entry nobody refreshes any more.
    const redis = new Redis(REDIS_URL);
    const member = `${randomUUID()}/${randomUUID()}`;
    const expiry = Date.now() + 300;
    await redis.zadd(`${prefix}presence:streams:${cid.id}`, expiry, member);
    await redis.zadd(`${prefix}presence:all`, expiry, `${seeder.org.organizationId}|${cid.id}|${member}`);
    await redis.quit();
    await eventually(
      async () => seen.items.filter((i) => i.title.startsWith('Cid ')).map((i) => i.event),
      (events) => events.join() === 'OPERATOR_ONLINE,OPERATOR_OFFLINE',
    );
    await watcher.client.dispose();
  });

  it('revoking through B closes the stream on A with 4403 at once (issue 7, part 5)', async () => {
    const { seeder, operators } = await liveOrganization(a, ['Rex']);
    const rex = operators.Rex!;
    const onA = connect(a, rex.token);
    subscribe(onA.client);
    await streamCount(a, rex.token);
    const revoked = await b.gql<{ revokeOperatorTokens: { __typename: string } }>(
      `mutation ($id: ID!) { revokeOperatorTokens(operatorId: $id) { __typename } }`,
      { id: rex.globalId },
      seeder.org.adminToken,
    );
    expect(revoked.data?.revokeOperatorTokens.__typename).toBe('MutationRevokeOperatorTokensSuccess');
    const started = Date.now();
    expect(await onA.closed).toBe(4403);
    expect(Date.now() - started).toBeLessThan(2_000);
    await onA.client.dispose();
  });
});
