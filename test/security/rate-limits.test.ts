/**
 * Rate limits through the real server (issue 7, part 3): an API key over its limit gets the typed
 * RATE_LIMITED with the seconds to wait and a Retry-After header, and nothing of the call is
 * stored; a batch counts by happenings; other keys and organizations are unaffected; operator
 * tokens are limited per request; an organization's override is seen by running instances; and
 * two instances sharing Redis hold the limit in total. Windows are 60 s so that no counter resets
 * in the middle of a test.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { schema } from '../../src/graphql/schema.js';
import { createApiKey } from '../../src/services/organizations.js';
import { createRateLimits } from '../../src/services/rate-limits/check-rate-limit.js';
import { OrganizationGate } from '../../src/services/rate-limits/organization-gate.js';
import { setOrganizationLimits } from '../../src/services/rate-limits/organization-limits.js';
import { type InstancePair, startInstancePair } from '../helpers/instance-pair.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, eventually, subscribe } from '../streams/stream-client.js';

const LIMITS = { rateLimitWindowSeconds: 60, rateLimitApiKeyHappenings: 5, rateLimitOperatorRequests: 4, rateLimitCacheSeconds: 5 };
let server: TestServer;
let pair: InstancePair;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: LIMITS });
  pair = await startInstancePair(LIMITS);
  ({ a, b } = pair);
});
afterAll(async () => {
  await server?.stop();
  await pair?.stop();
});

const SYSTEM_MESSAGE = /* GraphQL */ `
  mutation ($input: ReportSystemMessageInput!) {
    reportSystemMessage(input: $input) {
      __typename
      ... on AppError { code message field retryAfterSeconds }
    }
  }
`;
const BATCH = /* GraphQL */ `
  mutation ($input: ReportHappeningsInput!) {
    reportHappenings(input: $input) {
      __typename
      ... on AppError { code message field retryAfterSeconds }
    }
  }
`;
type Answer = { __typename: string; code?: string; retryAfterSeconds?: number | null };
interface Sent {
  status: number;
  retryAfter: string | null;
  body: { data?: Record<string, Answer>; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function send(target: TestServer, query: string, variables: Record<string, unknown>, credential: string): Promise<Sent> {
  const response = await fetch(`${target.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Sent['body'] };
}

const report = (target: TestServer, apiKey: string, title = 'Hello') =>
  send(target, SYSTEM_MESSAGE, { input: { title, body: 'body' } }, apiKey).then((r) => ({
    ...r,
    answer: r.body.data?.reportSystemMessage,
  }));
const reportBatch = (target: TestServer, apiKey: string, size: number) =>
  send(
    target,
    BATCH,
    { input: { happenings: Array.from({ length: size }, (_, i) => ({ systemMessage: { title: `m${i}`, body: 'body' } })) } },
    apiKey,
  ).then((r) => ({ ...r, answer: r.body.data?.reportHappenings }));

const stored = (target: TestServer, organizationId: string) => target.app.database.prisma.happening.count({ where: { organizationId } });

describe('API keys', () => {
  it('over its limit, a call gets RATE_LIMITED with retryAfterSeconds and Retry-After, and stores nothing', async () => {
    const org = await server.newOrganization();
    for (let i = 0; i < 5; i++) expect((await report(server, org.apiKey)).answer?.__typename).toBe('MutationReportSystemMessageSuccess');
    const events = (target: TestServer) =>
      target.app.database.prisma.notificationEvent.count({ where: { organizationId: org.organizationId } });
    const before = { happenings: await stored(server, org.organizationId), events: await events(server) };
    expect(before.happenings).toBe(5);
    const limited = await report(server, org.apiKey, 'one too many');
    expect(limited.answer).toMatchObject({ __typename: 'AppError', code: 'RATE_LIMITED' });
    const seconds = limited.answer?.retryAfterSeconds ?? 0;
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(limited.retryAfter).toBe(String(seconds));
    expect({ happenings: await stored(server, org.organizationId), events: await events(server) }).toEqual(before);
    // Exhausted: the next call is refused before it is read (HTTP 429), and stores nothing either.
    const again = await report(server, org.apiKey, 'one too many');
    expect(again.status).toBe(429);
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(again.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(again.body.errors?.[0]?.extensions?.retryAfterSeconds).toBe(Number(again.retryAfter));
    expect({ happenings: await stored(server, org.organizationId), events: await events(server) }).toEqual(before);
  });

  it('a batch counts by happenings; a refused batch counts for nothing; a batch over the whole limit cannot wait', async () => {
    const org = await server.newOrganization();
    expect((await reportBatch(server, org.apiKey, 4)).answer?.__typename).toBe('MutationReportHappeningsSuccess');
    expect(await stored(server, org.organizationId)).toBe(4);
    // 4 + 2 > 5: refused whole, before anything is stored.
    const refused = await reportBatch(server, org.apiKey, 2);
    expect(refused.answer).toMatchObject({ __typename: 'AppError', code: 'RATE_LIMITED' });
    expect(refused.retryAfter).not.toBeNull();
    expect(await stored(server, org.organizationId)).toBe(4);
    // The refused batch was not counted: one more happening still fits.
    expect((await report(server, org.apiKey)).answer?.__typename).toBe('MutationReportSystemMessageSuccess');
    expect(await stored(server, org.organizationId)).toBe(5);
    // Larger than the limit itself: refused without a time to wait, on another key with room left.
    const { key } = await createApiKey(server.app.database.prisma, org.organizationId, 'second');
    const tooBig = await reportBatch(server, key, 6);
    expect(tooBig.answer).toMatchObject({ __typename: 'AppError', code: 'RATE_LIMITED', retryAfterSeconds: null });
    expect(tooBig.retryAfter).toBeNull();
    expect(await stored(server, org.organizationId)).toBe(5);
  });

  it('a batch hidden behind aliases and fragments still counts every happening', async () => {
    const org = await server.newOrganization();
    const query = /* GraphQL */ `
      mutation ($input: ReportHappeningsInput!) { ...Sneaky ... on Mutation { again: reportHappenings(input: $input) { __typename } } }
      fragment Sneaky on Mutation { first: reportHappenings(input: $input) { __typename ... on AppError { code } } }
    `;
    const happenings = Array.from({ length: 3 }, () => ({ systemMessage: { title: 't', body: 'b' } }));
    const result = await send(server, query, { input: { happenings } }, org.apiKey);
    expect(result.body.data?.first).toMatchObject({ __typename: 'AppError', code: 'RATE_LIMITED' });
    expect(await stored(server, org.organizationId)).toBe(0);
  });

  it("one key's limit leaves the organization's other keys and other organizations alone", async () => {
    const org = await server.newOrganization();
    const other = await server.newOrganization();
    const { key: second } = await createApiKey(server.app.database.prisma, org.organizationId, 'second');
    expect((await reportBatch(server, org.apiKey, 5)).answer?.__typename).toBe('MutationReportHappeningsSuccess');
    expect((await report(server, org.apiKey)).answer?.code).toBe('RATE_LIMITED');
    expect((await report(server, second)).answer?.__typename).toBe('MutationReportSystemMessageSuccess');
    expect((await report(server, other.apiKey)).answer?.__typename).toBe('MutationReportSystemMessageSuccess');
    expect(await stored(server, org.organizationId)).toBe(6);
    expect(await stored(server, other.organizationId)).toBe(1);
  });
});

describe('operator tokens', () => {
  const QUERY = 'query { organization { name } }';
  const RENAME = 'mutation { updateOrganization(input: { name: "Renamed" }) { __typename ... on AppError { code retryAfterSeconds } } }';

  it('count requests: over the limit a mutation gets the typed AppError, then any request HTTP 429', async () => {
    const org = await server.newOrganization();
    const other = await server.newOrganization();
    for (let i = 0; i < 4; i++) expect((await send(server, QUERY, {}, org.adminToken)).body.data?.organization).toBeTruthy();
    const mutation = await send(server, RENAME, {}, org.adminToken);
    expect(mutation.body.data?.updateOrganization).toMatchObject({ __typename: 'AppError', code: 'RATE_LIMITED' });
    expect(mutation.body.data?.updateOrganization?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(mutation.retryAfter).toBe(String(mutation.body.data?.updateOrganization?.retryAfterSeconds));
    const next = await send(server, QUERY, {}, org.adminToken);
    expect(next.status).toBe(429);
    expect(next.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await server.app.database.prisma.organization.findUniqueOrThrow({ where: { id: org.organizationId } })).name).not.toBe(
      'Renamed',
    );
    // Another organization's admin is unaffected.
    expect((await send(server, QUERY, {}, other.adminToken)).body.data?.organization).toBeTruthy();
  });

  it('a query over the limit gets a RATE_LIMITED error with retryAfterSeconds', async () => {
    const org = await server.newOrganization();
    for (let i = 0; i < 4; i++) await send(server, QUERY, {}, org.adminToken);
    const query = await send(server, QUERY, {}, org.adminToken);
    expect(query.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(query.body.errors?.[0]?.extensions?.retryAfterSeconds).toBe(Number(query.retryAfter));
  });
});

describe('over graphql-ws', () => {
  it("an operator's subscribe counts as a request and is refused RATE_LIMITED over the limit", async () => {
    const org = await server.newOrganization();
    for (let i = 0; i < 4; i++) await send(server, 'query { organization { name } }', {}, org.adminToken);
    const connection = connect(server, org.adminToken);
    try {
      const subscription = subscribe(connection.client);
      const errors = (await subscription.waitForError()) as { message: string; extensions?: Record<string, unknown> }[];
      expect(errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(errors[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(subscription.items).toEqual([]);
    } finally {
      await connection.client.dispose();
    }
  });
});

describe("an organization's override", () => {
  it('is readable by its admins and reaches running instances within RATE_LIMIT_CACHE_SECONDS', async () => {
    const org = await server.newOrganization();
    for (let i = 0; i < 5; i++) await report(server, org.apiKey);
    expect((await report(server, org.apiKey)).answer?.code).toBe('RATE_LIMITED');
    const defaults = {
      windowSeconds: LIMITS.rateLimitWindowSeconds,
      apiKeyHappenings: LIMITS.rateLimitApiKeyHappenings,
      operatorRequests: LIMITS.rateLimitOperatorRequests,
    };
    await setOrganizationLimits(server.app.database.prisma, org.organizationId, { apiKeyHappenings: 50 }, defaults);
    await eventually(
      () => report(server, org.apiKey),
      (r) => r.answer?.__typename === 'MutationReportSystemMessageSuccess',
      30_000,
    );
    const read = await send(
      server,
      'query { organization { rateLimits { windowSeconds apiKeyHappenings apiKeyHappeningsOverridden operatorRequests operatorRequestsOverridden } } }',
      {},
      org.adminToken,
    );
    expect(read.body.data?.organization).toEqual({
      rateLimits: {
        windowSeconds: 60,
        apiKeyHappenings: 50,
        apiKeyHappeningsOverridden: true,
        operatorRequests: 4,
        operatorRequestsOverridden: false,
      },
    });
  });

  it('is refused out of range, and only the service operator can set it (no mutation exists)', async () => {
    const org = await server.newOrganization();
    const defaults = { windowSeconds: 60, apiKeyHappenings: 5, operatorRequests: 4 };
    await expect(
      setOrganizationLimits(server.app.database.prisma, org.organizationId, { apiKeyHappenings: 0 }, defaults),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    const names = Object.keys(schema.getMutationType()?.getFields() ?? {});
    expect(names).toContain('reportHappenings');
    expect(names.filter((name) => /limit/i.test(name))).toEqual([]);
  });
});

describe('two instances sharing Redis', () => {
  it('hold the limit in total', async () => {
    const org = await a.newOrganization();
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) {
      const result = await report(i % 2 === 0 ? a : b, org.apiKey);
      answers.push(result.answer?.code ?? result.answer?.__typename ?? String(result.body.errors?.[0]?.extensions?.code));
    }
    expect(answers.filter((answer) => answer === 'MutationReportSystemMessageSuccess')).toHaveLength(5);
    expect(answers.slice(5)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(await stored(a, org.organizationId)).toBe(5);
  });

  it('with Redis unreachable, each instance still enforces the limit from memory', async () => {
    const config = { ...readConfig(), ...LIMITS, redisUrl: 'redis://127.0.0.1:1', redisPrefix: pair.prefix };
    const limits = await createRateLimits(config, a.app.database.prisma);
    const org = await a.newOrganization();
    const viewer = { kind: 'integrator' as const, organizationId: org.organizationId, apiKeyId: randomUUID() };
    try {
      const refusals = [];
      for (let i = 0; i < 6; i++) refusals.push(await limits.check(viewer, 1));
      expect(refusals.slice(0, 5)).toEqual([null, null, null, null, null]);
      expect(refusals[5]).toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      await limits.close();
    }
  });
});

describe('fairness gate (per organization, per instance)', () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  function jobs() {
    const started: string[] = [];
    const finish: Record<string, () => void> = {};
    const job = (name: string) => () =>
      new Promise<void>((resolve) => {
        started.push(name);
        finish[name] = resolve;
      });
    return { started, finish, job };
  }

  it("runs one organization's full batches one at a time, in arrival order, beside another organization's reports", async () => {
    const gate = new OrganizationGate(500);
    const { started, finish, job } = jobs();
    const b1 = gate.run('B', 500, job('b1'));
    const b2 = gate.run('B', 500, job('b2'));
    const b3 = gate.run('B', 1, job('b3'));
    const a1 = gate.run('A', 1, job('a1'));
    await settle();
    expect(started).toEqual(['b1', 'a1']);
    expect(gate.load('B')).toEqual({ inFlight: 500, waiting: 2 });
    finish.b1?.();
    await b1;
    await settle();
    // The waiting batch goes first; the single report that came after it is not let past.
    expect(started).toEqual(['b1', 'a1', 'b2']);
    finish.b2?.();
    await b2;
    await settle();
    expect(started).toEqual(['b1', 'a1', 'b2', 'b3']);
    finish.b3?.();
    finish.a1?.();
    await Promise.all([b3, a1]);
    expect(gate.load('B')).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("lets one organization's single reports run side by side, and releases the budget when a report fails", async () => {
    const gate = new OrganizationGate(500);
    const { started, finish, job } = jobs();
    const singles = ['s1', 's2', 's3'].map((name) => gate.run('A', 1, job(name)));
    await settle();
    expect(started).toEqual(['s1', 's2', 's3']);
    for (const name of ['s1', 's2', 's3']) finish[name]?.();
    await Promise.all(singles);
    await expect(gate.run('A', 500, () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(gate.load('A')).toEqual({ inFlight: 0, waiting: 0 });
  });
});
