/**
 * The credential cache (issue 8) over real servers: an authenticated request that hit the cache
 * sends no SQL, and every change of what a credential resolves to is seen by the very next request,
 * on the instance that made it and, through Redis, on another instance sharing the database:
 * API key revoked, operator deleted, role's admin right withdrawn, operator moved to another role,
 * tokens revoked, organization sign-in setting removed.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { type InstancePair, startInstancePair } from '../helpers/instance-pair.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let solo: TestServer;
let pair: InstancePair;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  solo = await startTestServer();
  pair = await startInstancePair();
  ({ a, b } = pair);
});
afterAll(async () => {
  await solo?.stop();
  await pair?.stop();
});

const TYPENAME = `{ __typename }`;
/** Any credential is looked up for it; a refused one answers UNAUTHENTICATED, an API key FORBIDDEN. */
const ME = `{ me { name } }`;
const ADMIN_ONLY = `{ apiKeys { edges { node { id } } } }`;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code ?? 'OK';
const cached = (server: TestServer, credential: string) => server.app.services.authentication?.cache.get(credential) !== undefined;

/** An organization with a second admin whose role can be changed, and that admin's token. */
async function organizationWithSupervisor(server: TestServer) {
  const org = await server.newOrganization();
  const role = await server.gql<{ createRole: { data: { id: string } } }>(
    `mutation { createRole(input: { name: "Supervisor", isAdmin: true }) { ... on MutationCreateRoleSuccess { data { id } } } }`,
    {},
    org.adminToken,
  );
  const roleId = role.data!.createRole.data.id;
  const created = await server.gql<{ createOperator: { data: { id: string } } }>(
    `mutation ($roleId: ID!) { createOperator(input: { name: "Sue", roleId: $roleId, externalId: "sue" }) { ... on MutationCreateOperatorSuccess { data { id } } } }`,
    { roleId },
    org.adminToken,
  );
  const sueId = created.data!.createOperator.data.id;
  const token = await server.gql<{ issueOperatorToken: { data: { token: string } } }>(
    `mutation ($id: ID!) { issueOperatorToken(operatorId: $id) { ... on MutationIssueOperatorTokenSuccess { data { token } } } }`,
    { id: sueId },
    org.adminToken,
  );
  return { org, roleId, sueId, sueToken: token.data!.issueOperatorToken.data.token };
}

describe('on one instance', () => {
  it('an API key or token found in the cache costs no SQL; a revoked key is refused at once', async () => {
    const org = await solo.newOrganization();
    for (const credential of [org.apiKey, org.adminToken]) {
      expect(code(await solo.gql(TYPENAME, {}, credential))).toBe('OK');
      solo.queries.length = 0;
      expect(code(await solo.gql(TYPENAME, {}, credential))).toBe('OK');
      expect(solo.queries).toEqual([]);
    }
    const keyId = (await solo.gql<{ apiKeys: { edges: { node: { id: string } }[] } }>(ADMIN_ONLY, {}, org.adminToken)).data!.apiKeys
      .edges[0]!.node.id;
    await solo.gql(`mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: keyId }, org.adminToken);
    expect(code(await solo.gql(ME, {}, org.apiKey))).toBe('UNAUTHENTICATED');
  });

  it("a role's admin right withdrawn, or the operator moved to another role, applies to the next request", async () => {
    const { org, roleId, sueId, sueToken } = await organizationWithSupervisor(solo);
    expect(code(await solo.gql(ADMIN_ONLY, {}, sueToken))).toBe('OK');
    expect(cached(solo, sueToken)).toBe(true);
    await solo.gql(`mutation ($id: ID!) { updateRole(input: { id: $id, isAdmin: false }) { __typename } }`, { id: roleId }, org.adminToken);
    expect(code(await solo.gql(ADMIN_ONLY, {}, sueToken))).toBe('FORBIDDEN');

    await solo.gql(`mutation ($id: ID!) { updateRole(input: { id: $id, isAdmin: true }) { __typename } }`, { id: roleId }, org.adminToken);
    expect(code(await solo.gql(ADMIN_ONLY, {}, sueToken))).toBe('OK');
    const roles = await solo.gql<{ roles: { edges: { node: { id: string; name: string } }[] } }>(
      `{ roles { edges { node { id name } } } }`,
      {},
      org.adminToken,
    );
    const operatorRole = roles.data!.roles.edges.find((e) => e.node.name === 'Operator')!.node.id;
    await solo.gql(
      `mutation ($id: ID!, $roleId: ID!) { updateOperator(input: { id: $id, roleId: $roleId }) { __typename } }`,
      { id: sueId, roleId: operatorRole },
      org.adminToken,
    );
    expect(code(await solo.gql(ADMIN_ONLY, {}, sueToken))).toBe('FORBIDDEN');
  });
});

describe('on two instances sharing the database and Redis', () => {
  it('an API key revoked through A is refused by B on the next request', async () => {
    const org = await a.newOrganization();
    expect(code(await b.gql(ME, {}, org.apiKey))).toBe('FORBIDDEN');
    expect(cached(b, org.apiKey)).toBe(true);
    const keyId = (await a.gql<{ apiKeys: { edges: { node: { id: string } }[] } }>(ADMIN_ONLY, {}, org.adminToken)).data!.apiKeys.edges[0]!
      .node.id;
    await a.gql(`mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: keyId }, org.adminToken);
    expect(code(await b.gql(ME, {}, org.apiKey))).toBe('UNAUTHENTICATED');
  });

  it('revoked tokens, a withdrawn admin right and a deleted operator apply on B at once', async () => {
    const { org, roleId, sueId, sueToken } = await organizationWithSupervisor(a);
    expect(code(await b.gql(ADMIN_ONLY, {}, sueToken))).toBe('OK');
    expect(code(await b.gql(ME, {}, org.adminToken))).toBe('OK');
    expect(cached(b, sueToken) && cached(b, org.adminToken)).toBe(true);

    await a.gql(`mutation ($id: ID!) { updateRole(input: { id: $id, isAdmin: false }) { __typename } }`, { id: roleId }, org.adminToken);
    expect(code(await b.gql(ADMIN_ONLY, {}, sueToken))).toBe('FORBIDDEN');

    await a.gql(`mutation ($id: ID!) { deleteOperator(id: $id) { __typename } }`, { id: sueId }, org.adminToken);
    expect(code(await b.gql(ME, {}, sueToken))).toBe('UNAUTHENTICATED');

    const adminId = Buffer.from(`Operator:${org.adminId}`).toString('base64');
    expect(code(await b.gql(ME, {}, org.adminToken))).toBe('OK');
    await a.gql(`mutation ($id: ID!) { revokeOperatorTokens(operatorId: $id) { __typename } }`, { id: adminId }, org.adminToken);
    expect(code(await b.gql(ME, {}, org.adminToken))).toBe('UNAUTHENTICATED');
  });

  it("a host token cached on B is refused once A removes the organization's sign-in setting", async () => {
    const { org } = await organizationWithSupervisor(a);
    const secret = 'cache-test-host-secret-0123456789abcdef';
    await a.gql(
      `mutation ($input: ConfigureHostSignInInput!) { configureHostSignIn(input: $input) { __typename } }`,
      { input: { issuer: 'https://cache.example', audience: 'panel', sharedSecret: secret } },
      org.adminToken,
    );
    const hostToken = await new SignJWT({ org: org.organizationId, sub: 'sue' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://cache.example')
      .setAudience('panel')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    expect(code(await b.gql(ME, {}, hostToken))).toBe('OK');
    expect(cached(b, hostToken)).toBe(true);
    await a.gql(`mutation { removeHostSignIn { __typename } }`, {}, org.adminToken);
    expect(code(await b.gql(ME, {}, hostToken))).toBe('UNAUTHENTICATED');
  });
});

describe('one lookup per credential at a time', () => {
  /** An authenticator over the real database whose API-key lookups wait for `open()`, counted. */
  function gatedAuthenticator() {
    const prisma = solo.app.services.prisma;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const lookups = { count: 0 };
    const apiKey = new Proxy(prisma.apiKey, {
      get: (target, name, receiver) =>
        name === 'findUnique'
          ? async (args: Parameters<typeof prisma.apiKey.findUnique>[0]) => {
              lookups.count += 1;
              await gate;
              return target.findUnique(args);
            }
          : Reflect.get(target, name, receiver),
    });
    const gated = new Proxy(prisma, {
      get: (target, name, receiver) => (name === 'apiKey' ? apiKey : Reflect.get(target, name, receiver)),
    });
    const authentication = createAuthenticator({
      prisma: gated,
      tokenSecret: 'test-secret',
      tokenTtlSeconds: 3600,
      outbound: { fetch: () => Promise.reject(new Error('no outbound here')) },
      cacheTtlMs: 60_000,
      cacheCapacity: 100,
      jwksCacheMs: 60_000,
    });
    return { authentication, lookups, open };
  }

  it('requests arriving while a key is looked up share that lookup (no stampede when its entry expires)', async () => {
    const org = await solo.newOrganization();
    const { authentication, lookups, open } = gatedAuthenticator();
    const pending = Array.from({ length: 50 }, () => authentication.resolve(`Bearer ${org.apiKey}`));
    open();
    const viewers = await Promise.all(pending);
    expect(viewers.every((v) => v.kind === 'integrator')).toBe(true);
    expect(lookups.count).toBe(1);
    authentication.close();
  });

  it('a request after an invalidation does not join a lookup begun before it', async () => {
    const org = await solo.newOrganization();
    const { authentication, lookups, open } = gatedAuthenticator();
    const before = authentication.resolve(`Bearer ${org.apiKey}`);
    const key = await solo.app.services.prisma.apiKey.findFirstOrThrow({ where: { organizationId: org.organizationId } });
    await solo.app.services.prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    await authentication.invalidate({ kind: 'apiKey', id: key.id });
    const after = authentication.resolve(`Bearer ${org.apiKey}`);
    open();
    await before;
    expect((await after).kind).toBe('anonymous');
    expect(lookups.count).toBe(2);
    authentication.close();
  });
});
