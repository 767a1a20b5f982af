/**
 * Credentials (issue 7, part 5) through the real HTTP server and real graphql-ws sockets: API keys
 * open no stream and read nothing but their report results; tokens with extra segments or an
 * expiry beyond the longest lifetime are refused; revoking an operator's tokens refuses them at once
 * and closes their open streams with 4403, as expiry does; a fresh token and the last cursor then
 * resume with exactly the missed items.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/auth/tokens.js';
import { issueOperatorToken } from '../../src/services/organizations.js';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, liveOrganization, reportSystemMessages, subscribe } from '../streams/stream-client.js';

const TTL_SECONDS = 3600;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { tokenTtlSeconds: TTL_SECONDS } });
});
afterAll(() => server.stop());

const ME = `query { me { name } }`;
const REVOKE = `mutation ($operatorId: ID!) { revokeOperatorTokens(operatorId: $operatorId) { __typename ... on AppError { code field } } }`;
const ISSUE = `mutation ($operatorId: ID!) { issueOperatorToken(operatorId: $operatorId) { ... on MutationIssueOperatorTokenSuccess { data { token } } } }`;

/** Waits until the operator (by an admin's view) has `count` open streams. */
const openStreams = (adminToken: string, operatorId: string, count: number) =>
  eventually(
    () => server.gql<{ streamsInEffect: { streams: unknown[] } }>(STREAMS, { operatorId }, adminToken),
    (r) => r.data?.streamsInEffect.streams.length === count,
  );
const STREAMS = `query ($operatorId: ID) { streamsInEffect(operatorId: $operatorId) { streams { id } } }`;

const codeOf = (response: { errors?: { extensions?: { code?: string } }[] }) => response.errors?.[0]?.extensions?.code;

describe('API keys', () => {
  it('are refused at connection_init with 4403', async () => {
    const org = await server.newOrganization();
    const { client, closed } = connect(server, org.apiKey);
    expect(await closed).toBe(4403);
    await client.dispose();
  });

  it('read no query field, only the results of their reports', async () => {
    const org = await server.newOrganization();
    const queries = [
      '{ organization { name } }',
      '{ me { name } }',
      '{ operators { edges { node { id } } } }',
      '{ roles { edges { node { id } } } }',
      '{ operatorPresence { presence } }',
      '{ inboxUnreadCount }',
      `{ node(id: "${Buffer.from(`Organization:${org.organizationId}`).toString('base64')}") { id } }`,
    ];
    for (const query of queries) expect(codeOf(await server.gql(query, {}, org.apiKey)), query).toBe('FORBIDDEN');
    const report = await server.gql<{ reportSystemMessage: { __typename: string; data?: { events: { kind: string }[] } } }>(
      `mutation { reportSystemMessage(input: { title: "t", body: "b" }) { __typename ... on MutationReportSystemMessageSuccess { data { events { kind } } } } }`,
      {},
      org.apiKey,
    );
    expect(report.data?.reportSystemMessage.data?.events).toEqual([{ kind: 'SYSTEM_MESSAGE' }]);
    // From a report result, no path leads on to the organization's settings or contacts.
    const RESULT = (more: string) =>
      `mutation { reportSystemMessage(input: { title: "t", body: "b" }) { ... on MutationReportSystemMessageSuccess { data { events { decisions { operator { name ${more} } } } } } } }`;
    expect((await server.gql(RESULT(''), {}, org.apiKey)).errors).toBeUndefined();
    for (const more of ['email', 'role { name }', 'role { operators { edges { node { email } } } }']) {
      const response = await server.gql(RESULT(more), {}, org.apiKey);
      // The deepest path is refused by the depth limit before scope-auth sees it: refused either way.
      expect(['FORBIDDEN', 'QUERY_TOO_DEEP'], more).toContain(codeOf(response));
      expect(JSON.stringify(response.data ?? null)).not.toContain('@example');
    }
  });
});

describe('tokens', () => {
  it('refuse extra segments and an expiry further away than the longest lifetime', async () => {
    const org = await server.newOrganization();
    const claims = { sub: org.adminId, org: org.organizationId };
    const now = Date.now() / 1000;
    expect((await server.gql(ME, {}, org.adminToken)).errors).toBeUndefined();
    const refused = [
      `${org.adminToken}.extra`,
      `${org.adminToken}.`,
      issueToken('test-secret', { ...claims, exp: Math.floor(now + TTL_SECONDS * 10), iat: now }),
      issueToken('test-secret', { ...claims, exp: Math.floor(now - 1), iat: now - 100 }),
    ];
    for (const token of refused) expect(codeOf(await server.gql(ME, {}, token)), token).toBe('UNAUTHENTICATED');
    const withinCap = issueToken('test-secret', { ...claims, exp: Math.floor(now + TTL_SECONDS - 5), iat: now });
    expect((await server.gql(ME, {}, withinCap)).errors).toBeUndefined();
  });

  it('are revoked by an admin or by their operator, not by a colleague; new ones work', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Ria', 'Sam']);
    const ria = operators.Ria!;
    const bySam = await server.gql(REVOKE, { operatorId: ria.globalId }, operators.Sam!.token);
    expect(refusalOf(bySam)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN', field: 'operatorId' });
    expect((await server.gql(ME, {}, ria.token)).errors).toBeUndefined();

    expect(refusalOf(await server.gql(REVOKE, { operatorId: ria.globalId }, seeder.org.adminToken))).toMatchObject({
      __typename: 'MutationRevokeOperatorTokensSuccess',
    });
    expect(codeOf(await server.gql(ME, {}, ria.token))).toBe('UNAUTHENTICATED');
    const fresh = await seeder.token(ria.globalId);
    expect((await server.gql(ME, {}, fresh)).errors).toBeUndefined();

    expect(refusalOf(await server.gql(REVOKE, { operatorId: ria.globalId }, fresh))).toMatchObject({
      __typename: 'MutationRevokeOperatorTokensSuccess',
    });
    expect(codeOf(await server.gql(ME, {}, fresh))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(ISSUE, { operatorId: ria.globalId }, fresh))).toBe('UNAUTHENTICATED');
  });
});

describe('open streams', () => {
  it('close with 4403 promptly on revocation; a fresh token and the cursor resume with exactly the missed items', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Vera']);
    const vera = operators.Vera!;
    const first = connect(server, vera.token);
    const sub = subscribe(first.client);
    await openStreams(seeder.org.adminToken, vera.globalId, 1);
    await reportSystemMessages(server, seeder.org.apiKey, 'r', 0, 2);
    const seen = await sub.waitFor(2);
    const lastCursor = seen[1]!.cursor;

    const started = Date.now();
    await server.gql(REVOKE, { operatorId: vera.globalId }, seeder.org.adminToken);
    expect(await first.closed).toBe(4403);
    const closedAfterMs = Date.now() - started;
    expect(closedAfterMs).toBeLessThan(2_000);
    await first.client.dispose();

    await reportSystemMessages(server, seeder.org.apiKey, 'r', 2, 5);
    const stale = connect(server, vera.token);
    expect(await stale.closed).toBe(4403);
    await stale.client.dispose();

    const resumed = connect(server, await seeder.token(vera.globalId));
    const again = subscribe(resumed.client, lastCursor);
    const missed = await again.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(again.items.map((i) => i.title)).toEqual(['r2', 'r3', 'r4']);
    expect(missed.every((i) => i.replayed)).toBe(true);
    await resumed.client.dispose();
  });

  it('close with 4403 when their operator is deleted', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Dan']);
    const dan = operators.Dan!;
    const stream = connect(server, dan.token);
    subscribe(stream.client);
    await openStreams(seeder.org.adminToken, dan.globalId, 1);
    const deleted = await server.gql(
      `mutation ($id: ID!) { deleteOperator(id: $id) { __typename } }`,
      { id: dan.globalId },
      seeder.org.adminToken,
    );
    expect(refusalOf(deleted).__typename).toBe('MutationDeleteOperatorSuccess');
    expect(await stream.closed).toBe(4403);
    await stream.client.dispose();
  });

  it('close with 4403 when their token expires; the cursor resumes after it', async () => {
    const { seeder, operators } = await liveOrganization(server, ['Eve']);
    const eve = operators.Eve!;
    const shortLived = issueOperatorToken('test-secret', 4, { id: eve.id, organizationId: seeder.org.organizationId });
    const first = connect(server, shortLived.token);
    const sub = subscribe(first.client);
    await openStreams(seeder.org.adminToken, eve.globalId, 1);
    await reportSystemMessages(server, seeder.org.apiKey, 'e', 0, 1);
    const [item] = await sub.waitFor(1);
    const code = await first.closed;
    const closedAt = Date.now();
    expect(code).toBe(4403);
    // Closed at the expiry (seconds resolution), not before it and not long after.
    expect(closedAt).toBeGreaterThanOrEqual(Math.floor(shortLived.expiresAt.getTime() / 1000) * 1000 - 50);
    expect(closedAt - shortLived.expiresAt.getTime()).toBeLessThan(1_500);
    await first.client.dispose();

    await reportSystemMessages(server, seeder.org.apiKey, 'e', 1, 3);
    const resumed = connect(server, eve.token);
    const again = subscribe(resumed.client, item!.cursor);
    await again.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(again.items.map((i) => i.title)).toEqual(['e1', 'e2']);
    await resumed.client.dispose();
  });
});
