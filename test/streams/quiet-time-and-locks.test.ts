/**
 * Quiet time and admin locks on live streams (extensions.md E1, E2), over real graphql-ws sockets:
 * the `quietTime` subscription learns when do-not-disturb starts and ends without reconnecting;
 * in quiet time nothing is pushed yet the inbox keeps it and the cursor carries on; a REQUIRED lock
 * reaches an open stream at once and plays even though the stream's own preference is off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, liveOrganization, pause, reportSystemMessages, subscribe } from './stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { presenceGraceMs: 60_000 } });
});
afterAll(() => server.stop());

const DND = `mutation ($input: SetDoNotDisturbInput!) { setDoNotDisturb(input: $input) { __typename ... on AppError { code message field } } }`;
const QUIET_TIME = `mutation ($input: SetQuietTimeInput!) { setQuietTime(input: $input) { __typename ... on AppError { code message field } } }`;
const SET_LOCK = `mutation ($input: SetAdminLockInput!) { setAdminLock(input: $input) { __typename } }`;
const PANEL = `mutation ($input: UpdateChatPanelPreferencesInput!) { updateChatPanelPreferences(input: $input) { __typename } }`;
const UNREAD = 'query { inboxUnreadCount }';

interface Status {
  quiet: boolean;
  endsAt: string | null;
}

describe('quiet time on live streams', () => {
  it('tells the client when quiet time starts and ends, and pushes nothing meanwhile while the inbox keeps it', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ann']);
    const ann = operators.Ann as { globalId: string; token: string };
    const { client } = connect(server, ann.token);
    const statuses: Status[] = [];
    const disposeStatus = client.subscribe<{ quietTime: Status }>(
      { query: 'subscription { quietTime { quiet endsAt } }' },
      { next: (r) => r.data && statuses.push(r.data.quietTime), error: () => {}, complete: () => {} },
    );
    const notifications = subscribe(client);
    const waitStatuses = async (n: number) => {
      for (let i = 0; i < 400 && statuses.length < n; i++) await pause(25);
      return statuses;
    };
    expect((await waitStatuses(1))[0]).toEqual({ quiet: false, endsAt: null });

    const until = new Date(Date.now() + 2_500);
    await server.gql(DND, { input: { until: until.toISOString() } }, ann.token);
    expect((await waitStatuses(2))[1]).toEqual({ quiet: true, endsAt: until.toISOString() });

    await reportSystemMessages(server, seeder.org.apiKey, 'quiet-', 0, 2);
    await pause(300);
    expect(notifications.items).toHaveLength(0);
    expect((await server.gql<{ inboxUnreadCount: number }>(UNREAD, {}, ann.token)).data?.inboxUnreadCount).toBe(2);

    // The end of do-not-disturb reaches the same subscription: a timer, no reconnect.
    expect((await waitStatuses(3))[2]).toEqual({ quiet: false, endsAt: null });
    expect(Date.now()).toBeGreaterThanOrEqual(until.getTime());
    await reportSystemMessages(server, seeder.org.apiKey, 'after-', 0, 1);
    const [item] = await notifications.waitFor(1);
    expect(item).toMatchObject({ title: 'after-0', showNotification: true, replayed: false });
    // Its cursor is past the two quiet items: resuming from it replays nothing, and nothing is lost
    // (the quiet items stay unread in the inbox).
    const again = connect(server, ann.token);
    const replay = subscribe(again.client, (item as { cursor: string }).cursor);
    await pause(300);
    expect(replay.items).toHaveLength(0);
    expect((await server.gql<{ inboxUnreadCount: number }>(UNREAD, {}, ann.token)).data?.inboxUnreadCount).toBe(3);
    await again.client.dispose();
    disposeStatus();
    await client.dispose();
  });

  it('refuses a bad time zone or time, and other operators’ quiet time unless admin', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ann', 'Bob']);
    const ann = operators.Ann as { globalId: string; token: string };
    const bob = operators.Bob as { globalId: string; token: string };
    const window = { days: ['MONDAY'], start: '22:00', end: '07:00' };
    const outcome = async (input: Record<string, unknown>, token: string) =>
      Object.values(
        (await server.gql<Record<string, { __typename: string; code?: string; field?: string }>>(QUIET_TIME, { input }, token)).data ?? {},
      )[0];
    expect(await outcome({ timeZone: 'Mars/Olympus', windows: [window] }, ann.token)).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'input.timeZone',
    });
    expect(await outcome({ timeZone: 'UTC', windows: [{ ...window, start: '25:00' }] }, ann.token)).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'input.windows.0.start',
    });
    expect(await outcome({ operatorId: bob.globalId, timeZone: 'UTC', windows: [window] }, ann.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await outcome({ operatorId: bob.globalId, timeZone: 'Europe/Berlin', windows: [window] }, seeder.org.adminToken)).toMatchObject({
      __typename: 'MutationSetQuietTimeSuccess',
    });
    const prisma = server.app.database.prisma;
    expect(await prisma.operatorQuietTime.count({ where: { organizationId: seeder.org.organizationId } })).toBe(1);
  });
});

describe('admin locks on live streams', () => {
  it('a REQUIRED lock takes effect at once on an open stream whose own preference is off', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ann']);
    const ann = operators.Ann as { globalId: string; token: string };
    await server.gql(PANEL, { input: { changes: [{ event: 'SYSTEM_MESSAGE', channel: 'BROWSER', enabled: false }] } }, ann.token);
    const { client } = connect(server, ann.token);
    const sub = subscribe(client);
    await pause(200);
    await reportSystemMessages(server, seeder.org.apiKey, 'before-', 0, 1);
    await pause(300);
    expect(sub.items).toHaveLength(0);
    await server.gql(SET_LOCK, { input: { event: 'SYSTEM_MESSAGE', channel: 'BROWSER', value: 'REQUIRED' } }, seeder.org.adminToken);
    await reportSystemMessages(server, seeder.org.apiKey, 'locked-', 0, 1);
    const [item] = await sub.waitFor(1);
    expect(item).toMatchObject({ title: 'locked-0', showNotification: true });
    await client.dispose();
  });
});
