/**
 * Issue 7, operation limits through the real server, over HTTP and over a real graphql-ws socket:
 * the bomb queries are refused with a coded error before anything executes, each limit on
 * its own, while the deep admin queries a person really sends still pass and page sizes keep their cap.
 * Request bodies keep yoga's size limit, declared or streamed.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_LIMIT_CODES } from '../../src/graphql/operation-limits.js';
import { MAX_REQUEST_BODY_BYTES } from '../../src/graphql/request-body-limit.js';
import { report, seedOperatorsInBulk, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect } from '../streams/stream-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** roles → operators → role → operators …, `levels` times, every page `first: 50` (the bomb). */
function nestedBomb(levels: number): string {
  let inner = 'id name';
  for (let i = 0; i < levels; i++) inner = `operators(first: 50) { edges { node { id role { id ${inner} } } } }`;
  return `query { roles(first: 50) { edges { node { ${inner} } } } }`;
}
const aliasBomb = (count: number) =>
  `query { ${Array.from({ length: count }, (_, i) => `a${i}: operators(first: 100) { edges { node { id name } } }`).join(' ')} }`;
const tokenBomb = (tokens: number) => `query { ${'__typename '.repeat(tokens)} }`;

async function post(target: TestServer, query: string, credential?: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${target.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { status: response.status, ...body };
}

/** Runs `query` over a real graphql-ws socket and resolves with its errors (or the data). */
async function overSocket(target: TestServer, token: string, query: string) {
  const { client } = connect(target, token);
  try {
    return await new Promise<{ errors?: { message: string; extensions?: Record<string, unknown> }[]; data?: unknown }>((resolve) => {
      let data: unknown;
      client.subscribe(
        { query },
        {
          next: (result) => {
            data = result.data;
          },
          error: (errors) => resolve({ errors: errors as { message: string; extensions?: Record<string, unknown> }[] }),
          complete: () => resolve({ data }),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('the issue bomb queries are refused before they run', () => {
  it('nested connections three levels deep (roles → operators → role → operators, first: 50): refused, nothing in data', async () => {
    const org = await server.newOrganization();
    const refused = await post(server, nestedBomb(3), org.adminToken);
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.depth);
    expect(refused.errors?.[0]?.message).toMatch(/depth limit of 10 exceeded/);
  });

  it('1,000 aliases of operators(first: 100): refused (its size alone, before its aliases are counted)', async () => {
    const org = await server.newOrganization();
    const refused = await post(server, aliasBomb(1000), org.adminToken);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.tokens);
  });

  it('a 500,000-token query: refused by the token limit', async () => {
    const refused = await post(server, tokenBomb(500_000));
    expect(refused.data).toBeUndefined();
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.tokens);
    expect(refused.errors?.[0]?.message).toBe('Token limit of 1000 exceeded.');
  });
});

describe('each limit on its own', () => {
  it('depth: 10 levels pass, 11 are refused', async () => {
    const org = await server.newOrganization();
    // operators(1) edges(2) node(3) role(4) operators(5) edges(6) node(7) role(8) then 2 or 3 more levels.
    const nested = (tail: string) =>
      `query { operators(first: 1) { edges { node { role { operators(first: 1) { edges { node { role { ${tail} } } } } } } } } }`;
    const atTen = nested('operators(first: 1) { __typename }');
    const atEleven = nested('operators(first: 1) { pageInfo { hasNextPage } }');
    const passed = await post(server, atTen, org.adminToken);
    expect(passed.errors).toBeUndefined();
    const refused = await post(server, atEleven, org.adminToken);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: OPERATION_LIMIT_CODES.depth, limit: 10 });
  });

  it('aliases: 15 pass, 16 are refused', async () => {
    const org = await server.newOrganization();
    const aliased = (count: number) => `query { ${Array.from({ length: count }, (_, i) => `n${i}: inboxUnreadCount`).join(' ')} }`;
    const passed = await post(server, aliased(15), org.adminToken);
    expect(passed.errors).toBeUndefined();
    expect(Object.keys(passed.data as object)).toHaveLength(15);
    const refused = await post(server, aliased(16), org.adminToken);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: OPERATION_LIMIT_CODES.aliases, limit: 15 });
  });

  it('directives: 20 pass, 21 are refused', async () => {
    const org = await server.newOrganization();
    const directed = (count: number) => `query { ${'... @include(if: true) { inboxUnreadCount } '.repeat(count)} }`;
    expect((await post(server, directed(20), org.adminToken)).errors).toBeUndefined();
    const refused = await post(server, directed(21), org.adminToken);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: OPERATION_LIMIT_CODES.directives, limit: 20 });
  });

  it('cost counts page sizes multiplicatively, also through variables; each page alone is fine', async () => {
    const org = await server.newOrganization();
    const twoPages = `query ($roles: Int, $operators: Int) { roles(first: $roles) { edges { node { id
      operators(first: $operators) { edges { node { id name email } } } } } } }`;
    // 100 roles × 100 operators × their fields: far past 20,000 although shallow and alias-free.
    const refused = await post(server, twoPages, org.adminToken, { roles: 100, operators: 100 });
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: OPERATION_LIMIT_CODES.cost, limit: 20_000 });
    expect(refused.errors?.[0]?.message).toMatch(/^Operation cost limit of 20000 exceeded, estimated \d+\.$/);
    const found = refused.errors?.[0]?.extensions?.found as number;
    expect(found).toBeGreaterThan(100 * 100 * 4);
    // The same shape at 10 × 10 costs a hundredth: allowed.
    const allowed = await post(server, twoPages, org.adminToken, { roles: 10, operators: 10 });
    expect(allowed.errors).toBeUndefined();
    // A page over the cap counts as the cap (100), as it runs.
    const capped = await post(server, twoPages, org.adminToken, { roles: 5000, operators: 2 });
    expect(capped.errors).toBeUndefined();
  });

  it('a document already validated (answered from the validation cache) is still costed with its new variables', async () => {
    const org = await server.newOrganization();
    // Its own text, so no other test has validated it before.
    const twoPages = `query CachedShape($roles: Int, $operators: Int) { roles(first: $roles) { edges { node { id
      operators(first: $operators) { edges { node { id name } } } } } } }`;
    for (let i = 0; i < 2; i++) expect((await post(server, twoPages, org.adminToken, { roles: 5, operators: 5 })).errors).toBeUndefined();
    const refused = await post(server, twoPages, org.adminToken, { roles: 100, operators: 100 });
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: OPERATION_LIMIT_CODES.cost, limit: 20_000 });
    // A refused bomb stays refused when sent again, and a fixed document is costed once and still answered.
    for (let i = 0; i < 2; i++)
      expect((await post(server, nestedBomb(3), org.adminToken)).errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.depth);
    for (let i = 0; i < 2; i++)
      expect((await post(server, '{ roles(first: 3) { edges { node { id } } } }', org.adminToken)).errors).toBeUndefined();
  });

  it('a cached document is costed again when a list argument or a directive takes a variable (its cost is reused only when no variable can change it)', async () => {
    const org = await server.newOrganization();
    // Each its own text, so no other test has validated it before.
    const byIds = `query CachedIds($ids: [ID!]!) { nodes(ids: $ids) { id ... on Role {
      operators(first: 100) { edges { node { id name email } } } } } }`;
    const small = { ids: ['Um9sZTpub25l'] };
    for (let i = 0; i < 2; i++)
      expect((await post(server, byIds, org.adminToken, small)).errors?.[0]?.extensions?.code).not.toBe('QUERY_TOO_COSTLY');
    const manyIds = await post(server, byIds, org.adminToken, { ids: Array.from({ length: 100 }, () => 'Um9sZTpub25l') });
    expect(manyIds.status).toBe(400);
    expect(manyIds.errors?.[0]?.extensions).toMatchObject({ code: OPERATION_LIMIT_CODES.cost, limit: 20_000 });

    const included = `query CachedInclude($all: Boolean!) { roles(first: 100) { edges { node { id
      operators(first: 100) @include(if: $all) { edges { node { id name email } } } } } } }`;
    for (let i = 0; i < 2; i++) expect((await post(server, included, org.adminToken, { all: false })).errors).toBeUndefined();
    const all = await post(server, included, org.adminToken, { all: true });
    expect(all.status).toBe(400);
    expect(all.errors?.[0]?.extensions).toMatchObject({ code: OPERATION_LIMIT_CODES.cost, limit: 20_000 });
  });

  it('connection pages keep their cap of 100 rows', async () => {
    const seed = await seedOrganization(server, 'many operators');
    await seedOperatorsInBulk(server, seed.org.organizationId, 120);
    const page = await post(
      server,
      `query { operators(first: 1000) { edges { node { id } } pageInfo { hasNextPage } } }`,
      seed.org.adminToken,
    );
    const operators = (page.data as { operators: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } }).operators;
    expect(operators.edges).toHaveLength(100);
    expect(operators.pageInfo.hasNextPage).toBe(true);
  });
});

describe('legitimate deep admin queries still pass', () => {
  it('the first session, explainEvent with traces, the events and deliveries logs at full pages, the operator list with groups', async () => {
    const seed = await seedOrganization(server, 'deep admin');
    const admin = seed.org.adminToken;
    const alice = await seed.operator('Alice');
    await seed.group('Support', [alice]);
    const widgetId = await seed.widget();
    await seed.addon(['ALL_OFFLINE_MESSAGES']);
    const result = await report(server, 'offlineMessage', { widgetId, visitorEmail: 'v@example.test', text: 'Call me' }, seed.org.apiKey);
    const eventId = result.events[0]?.id;
    const queries: [string, Record<string, unknown>][] = [
      [`query { roles { edges { node { id name isAdmin } } } }`, {}],
      [
        `query ($eventId: ID!) { explainEvent(eventId: $eventId) { ... on QueryExplainEventSuccess { data { operatorInAudience
          event { id kind widget { name } subjectOperator { name } deliveries { status attempts lastError addon { name } operator { name } } }
          decisions { operator { id name role { name } groups { name } } addon { name kind } channel reason delivered trace { check passed } } } }
          ... on AppError { code message field } } }`,
        { eventId },
      ],
      [
        `query { events(first: 100) { pageInfo { hasNextPage endCursor } edges { cursor node { id kind createdAt widget { name }
          subjectOperator { name } decisions { operator { name } addon { name } channel reason delivered trace { check passed } } } } } }`,
        {},
      ],
      [
        `query { deliveries(first: 100) { pageInfo { hasNextPage } edges { node { id status channel attempts lastError nextAttemptAt
          deliveredAt deadAt isReplay addon { name kind } operator { name email } event { id kind widget { name } } } } } }`,
        {},
      ],
      [
        `query { operators(first: 100) { edges { node { name email role { name } groups { name members { edges { node { name } } } }
          preferences { enabled changedBy { name } } } } } operatorGroups { edges { node { name widgets { name } } } } }`,
        {},
      ],
    ];
    for (const [query, variables] of queries) {
      const answer = await post(server, query, admin, variables);
      expect(answer.errors, query).toBeUndefined();
      expect(answer.data).toBeTruthy();
    }
  });
});

describe('over graphql-ws the same limits apply', () => {
  it('refuses the bombs on a real socket with the same codes, and still runs a legitimate query', async () => {
    const org = await server.newOrganization();
    const deep = await overSocket(server, org.adminToken, nestedBomb(3));
    expect(deep.errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.depth);
    const tokens = await overSocket(server, org.adminToken, tokenBomb(5000));
    expect(tokens.errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.tokens);
    const costly = await overSocket(
      server,
      org.adminToken,
      `query { roles(first: 100) { edges { node { operators(first: 100) { edges { node { id name email } } } } } } }`,
    );
    expect(costly.errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.cost);
    const aliases = await overSocket(
      server,
      org.adminToken,
      `subscription { ${'a: notifications '.repeat(1)}${Array.from({ length: 16 }, (_, i) => `n${i}: notifications { cursor }`).join(' ')} }`,
    );
    expect(aliases.errors?.[0]?.extensions?.code).toBe(OPERATION_LIMIT_CODES.aliases);
    const fine = await overSocket(server, org.adminToken, `query { roles { edges { node { name } } } }`);
    expect(fine.errors).toBeUndefined();
    expect(fine.data).toMatchObject({ roles: { edges: expect.any(Array) } });
  });
});

describe('request bodies stay within the size limit', () => {
  /** POSTs `chunks` to /graphql with node:http; `contentLength` null sends it chunked. */
  function postRaw(chunks: Iterable<string>, contentLength: number | null) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      // A connection each: after a refusal mid-body the server does not read the rest of that body.
      const request = httpRequest(`${server.url}/graphql`, {
        agent: false,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(contentLength === null ? {} : { 'content-length': String(contentLength) }) },
      });
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      // The server may answer and close before the whole body is sent: that is the point.
      request.on('error', reject);
      (async () => {
        for (const chunk of chunks) {
          if (request.destroyed || request.writableEnded) return;
          if (!request.write(chunk)) await new Promise((drain) => request.once('drain', drain));
        }
        request.end();
      })().catch(() => undefined);
    });
  }
  const padded = function* (bytes: number) {
    yield '{"query":"{ __typename }","extensions":{"pad":"';
    const piece = 'x'.repeat(1 << 20);
    for (let sent = 0; sent < bytes; sent += piece.length) yield piece;
    yield '"}}';
  };

  it('a declared length over the limit is refused before the body is read', async () => {
    const refused = await postRaw(['{"query":"{ __typename }"'], MAX_REQUEST_BODY_BYTES + 1);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it('a chunked body (no declared length) is counted as it streams: refused past the limit, answered below it', async () => {
    const refused = await postRaw(padded(MAX_REQUEST_BODY_BYTES + (1 << 20)), null);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    const small = await postRaw(padded(1 << 20), null);
    expect(small.status).toBe(200);
    expect(JSON.parse(small.body)).toEqual({ data: { __typename: 'Query' } });
  });
});
