/**
 * Streams opened together are authenticated and started together (issue 14): the operator lookups
 * of their tokens and their starting state (inbox position, quiet time, preferences, revocation)
 * are read in rounds for many streams at once (auth/operator-lookups.ts, live/load-stream-starts.ts).
 * Each stream must still get its own operator's answer: a refused token among accepted ones stays
 * refused, and each stream starts at its own inbox position with its own quiet time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueOperatorToken } from '../../src/services/organizations.js';
import { globalId, rawId, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, reportSystemMessages, subscribe } from './stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const REPORT = /* GraphQL */ `mutation ($input: ReportHappeningsInput!) { reportHappenings(input: $input) { __typename } }`;

describe('streams opened together', () => {
  it('each gets its own operator: refused tokens stay refused, inbox positions and quiet time are per operator', async () => {
    const seeder = await seedOrganization(server, 'Rounds org');
    const other = await seedOrganization(server, 'Other org');
    const { organizationId, apiKey } = seeder.org;
    const { prisma } = server.app.database;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(rawId(await seeder.operator(`Op${i}`)));
    const [withItem, inQuiet, deactivated, elsewhere] = ids as [string, string, string, string];
    const tokenOf = (id: string, org = organizationId) => issueOperatorToken('test-secret', 3600, { id, organizationId: org }).token;

    // One operator already has an inbox item (a chat assigned to them); one is in do-not-disturb.
    const widgetId = await seeder.widget();
    const started = await server.gql<{ reportHappenings: { __typename: string } }>(
      REPORT,
      { input: { happenings: [{ chatStarted: { chatId: 'rounds-chat', widgetId, operatorId: globalId('Operator', withItem) } }] } },
      apiKey,
    );
    expect(started.data?.reportHappenings.__typename).toMatch(/Success$/);
    expect(await prisma.inboxItem.count({ where: { operatorId: withItem } })).toBeGreaterThan(0);
    await prisma.operatorQuietTime.create({
      data: { operatorId: inQuiet, organizationId, timeZone: 'UTC', windows: [], doNotDisturbUntil: new Date(Date.now() + 3_600_000) },
    });
    // Refused: a deactivated operator, and a token naming another organization for this one's operator.
    await prisma.operator.update({ where: { id: deactivated }, data: { deletedAt: new Date() } });
    const refused = [connect(server, tokenOf(deactivated)), connect(server, tokenOf(elsewhere, other.org.organizationId))];

    const accepted = ids.filter((id) => id !== deactivated && id !== elsewhere);
    const connections = accepted.map((id) => connect(server, tokenOf(id)));
    const streams = connections.map((c) => subscribe(c.client));
    expect(await Promise.all(refused.map((c) => c.closed))).toEqual([4403, 4403]);
    await eventually(
      async () => accepted.map((id) => server.app.services.live?.registry.streamsOf(id).length ?? 0),
      (counts) => counts.every((n) => n === 1),
    );

    await reportSystemMessages(server, apiKey, 'After open ', 0, 1);
    const heard = accepted.filter((id) => id !== inQuiet);
    const streamOf = (id: string) => streams[accepted.indexOf(id)] as (typeof streams)[number];
    await eventually(
      async () => heard.map((id) => streamOf(id).items.filter((i) => i.event === 'SYSTEM_MESSAGE').length),
      (counts) => counts.every((n) => n === 1),
    );
    for (const id of heard) {
      // Only new items (colleagues coming online, the message), each once: a stream starting at
      // another operator's inbox position would replay older ones (the chat item `withItem` had
      // before the open), or skip its own. Colleagues' ONLINE items may come by the stream's catch-up
      // from the inbox (replayed) when the message overtook them: the inbox sink publishes presence
      // items in slices.
      const items = streamOf(id).items;
      expect(
        items.filter((i) => i.event !== 'OPERATOR_ONLINE' && i.event !== 'SYSTEM_MESSAGE'),
        id,
      ).toEqual([]);
      expect(new Set(items.map((i) => i.cursor)).size, id).toBe(items.length);
      expect(items.filter((i) => i.event === 'SYSTEM_MESSAGE').map((i) => i.title)).toEqual(['After open 0']);
    }
    // Do-not-disturb: the items are in the inbox but this stream shows and plays none of them.
    expect(await prisma.inboxItem.count({ where: { operatorId: inQuiet, kind: 'SYSTEM_MESSAGE' } })).toBe(1);
    expect(streamOf(inQuiet).items).toEqual([]);

    for (const s of streams) s.dispose();
    await Promise.all([...connections, ...refused].map((c) => c.client.dispose()));
  }, 30_000);
});
