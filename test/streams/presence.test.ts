/**
 * Presence from streams (issue 3, part 3): the first stream makes the operator ONLINE, AWAY and back
 * are explicit, a reload within the grace period changes nothing, the last stream closing makes
 * them OFFLINE once the grace period is over; a vanished socket is found by keep-alive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, rawSubscriber, subscribe } from './stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { presenceGraceMs: 1500, wsKeepAliveMs: 300 } });
});
afterAll(() => server.stop());

const PRESENCE = /* GraphQL */ `query { operatorPresence { operator { name } presence openStreams } }`;
const SET = /* GraphQL */ `mutation ($p: Presence!) { setMyPresence(presence: $p) { __typename ... on MutationSetMyPresenceSuccess { data { presence } } } }`;
type Presence = { operatorPresence: { operator: { name: string }; presence: string; openStreams: number }[] };

describe('presence', () => {
  it('raises ONLINE, AWAY, BACK and, after the grace period only, OFFLINE for the others', async () => {
    const { operators } = await liveOrganization(server, ['Watcher', 'Pia']);
    const watcher = connect(server, operators.Watcher!.token);
    const seen = subscribe(watcher.client);
    await seen.waitFor(0);
    const presenceOf = async (name: string) =>
      (await server.gql<Presence>(PRESENCE, {}, operators.Watcher!.token)).data?.operatorPresence.find((p) => p.operator.name === name);
    await eventually(
      () => presenceOf('Watcher'),
      (p) => p?.presence === 'ONLINE',
    );

    const pia = connect(server, operators.Pia!.token);
    subscribe(pia.client);
    await seen.waitFor(1);
    expect(await presenceOf('Pia')).toMatchObject({ presence: 'ONLINE', openStreams: 1 });
    const away = await server.gql<{ setMyPresence: { data: { presence: string } } }>(SET, { p: 'AWAY' }, operators.Pia!.token);
    expect(away.data?.setMyPresence.data.presence).toBe('AWAY');
    await server.gql(SET, { p: 'ONLINE' }, operators.Pia!.token);
    await seen.waitFor(3);

    // A reload: the stream closes and a new one opens within the grace period.
    await pia.client.dispose();
    const reloaded = connect(server, operators.Pia!.token);
    subscribe(reloaded.client);
    await eventually(
      () => presenceOf('Pia'),
      (p) => p?.openStreams === 1,
    );
    await reloaded.client.dispose();
    await seen.waitFor(4);
    expect(seen.items.map((i) => i.event)).toEqual(['OPERATOR_ONLINE', 'OPERATOR_AWAY', 'OPERATOR_BACK', 'OPERATOR_OFFLINE']);
    expect(seen.items.map((i) => i.title)).toEqual(['Pia is online', 'Pia is away', 'Pia is back', 'Pia is offline']);
    expect(await presenceOf('Pia')).toMatchObject({ presence: 'OFFLINE', openStreams: 0 });
    await watcher.client.dispose();
  });

  it('a socket that vanishes without a close frame is dropped by keep-alive and its stream released', async () => {
    const { operators } = await liveOrganization(server, ['Vic']);
    const ghost = await rawSubscriber(server, operators.Vic!.token);
    const live = server.app.services.live!;
    await eventually(
      async () => live.registry.streamsOf(operators.Vic!.id).length,
      (n) => n === 1,
    );
    ghost.socket.pause(); // reads nothing more, so never answers a ping
    await eventually(
      async () => live.registry.streamsOf(operators.Vic!.id).length,
      (n) => n === 0,
    );
    ghost.socket.terminate();
  });
});
