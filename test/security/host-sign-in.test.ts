/**
 * Host-app sign-in (issue 9, part 3) through the real HTTP server and graphql-ws: the service's own
 * tokens are standard JWTs jose verifies; a host application's JWTs (HS256 secret, public key, JWKS
 * served from a loopback HTTP server, or the deployment's HOST_JWT_* setting) sign operators in by
 * externalId or email, with issuer, audience and expiry checked and typed refusals; revocation holds
 * for host tokens too; a JWKS URL pointing at a metadata address is refused by the outbound guard.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwksCache } from '../../src/auth/jwks-cache.js';
import { issueOperatorToken } from '../../src/services/organizations.js';
import { createOutboundGuard } from '../../src/services/outbound/outbound-guard.js';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';
import { connect, subscribe } from '../streams/stream-client.js';

const DEPLOYMENT_SECRET = 'deployment-secret-of-at-least-32-characters!';
let server: TestServer;
let jwksServer: Server;
let jwksUrl: string;
let jwksRequests = 0;
let publishedKeys: object[] = [];

beforeAll(async () => {
  server = await startTestServer({
    config: {
      tokenTtlSeconds: 3600,
      hostSignIn: {
        issuer: 'https://deployment.example',
        audience: 'chat-panel',
        key: { kind: 'sharedSecret', secret: DEPLOYMENT_SECRET },
        operatorClaim: 'email',
        operatorMatch: 'EMAIL',
      },
    },
  });
  jwksServer = createServer((_request, response) => {
    jwksRequests += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: publishedKeys }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => {
  await server.stop();
  jwksServer.closeAllConnections();
  await new Promise((resolve) => jwksServer.close(resolve));
});

const ME = `query { me { name } }`;
const CONFIGURE = /* GraphQL */ `
  mutation ($input: ConfigureHostSignInInput!) {
    configureHostSignIn(input: $input) {
      __typename
      ... on MutationConfigureHostSignInSuccess { data { issuer audience keyKind jwksUrl operatorClaim operatorMatch } }
      ... on AppError { code field message }
    }
  }
`;
const CREATE_OPERATOR = /* GraphQL */ `
  mutation ($input: CreateOperatorInput!) {
    createOperator(input: $input) { __typename ... on MutationCreateOperatorSuccess { data { id externalId } } ... on AppError { code field } }
  }
`;
const ROLES = `{ roles { edges { node { id isAdmin } } } }`;
const REVOKE = `mutation ($operatorId: ID!) { revokeOperatorTokens(operatorId: $operatorId) { __typename } }`;

type Me = { me: { name: string } };
const refusal = (response: { errors?: { extensions?: { code?: string; reason?: string } }[] }) => {
  const extensions = response.errors?.[0]?.extensions;
  return extensions ? `${extensions.code}:${extensions.reason}` : 'accepted';
};
const secretKey = (secret: string) => new TextEncoder().encode(secret);
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

/** An organization with an operator "Olga" (externalId, email) and the operator role id. */
async function organizationWithOlga(externalId: string, email = `${externalId}@example.test`) {
  const org = await server.newOrganization();
  const roles = await server.gql<{ roles: { edges: { node: { id: string; isAdmin: boolean } }[] } }>(ROLES, {}, org.adminToken);
  const roleId = roles.data!.roles.edges.find((e) => !e.node.isAdmin)!.node.id;
  const created = await server.gql<{ createOperator: { data: { id: string; externalId: string } } }>(
    CREATE_OPERATOR,
    { input: { name: 'Olga', email, roleId, externalId } },
    org.adminToken,
  );
  expect(created.data?.createOperator.data.externalId).toBe(externalId);
  return { org, roleId, olgaId: created.data!.createOperator.data.id };
}

describe("the service's own tokens", () => {
  it('are standard HS256 JWTs that jose verifies, and a JWT jose signs with the service key is accepted', async () => {
    const org = await server.newOrganization();
    const { payload, protectedHeader } = await jwtVerify(org.adminToken, secretKey('test-secret'), {
      issuer: 'notification-backbone',
      audience: 'notification-backbone',
      algorithms: ['HS256'],
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: org.adminId, org: org.organizationId });
    expect(typeof payload.exp).toBe('number');
    expect(typeof payload.iat).toBe('number');

    const byJose = await new SignJWT({ org: org.organizationId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('notification-backbone')
      .setAudience('notification-backbone')
      .setSubject(org.adminId)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(secretKey('test-secret'));
    expect((await server.gql<Me>(ME, {}, byJose)).data?.me.name).toBe('Admin');
    const otherAudience = await new SignJWT({ org: org.organizationId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('notification-backbone')
      .setAudience('someone-else')
      .setSubject(org.adminId)
      .setExpirationTime('10m')
      .sign(secretKey('test-secret'));
    expect(refusal(await server.gql(ME, {}, otherAudience))).toBe('UNAUTHENTICATED:CLAIM_MISMATCH');
  });
});

describe('an organization signing in with a shared secret', () => {
  const SECRET = 'host-app-shared-secret-0123456789abcdef';
  const sign = (claims: JWTPayload, secret = SECRET, audience = 'panel', exp = inOneHour()) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://crm.example')
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(secretKey(secret));

  it('accepts its JWTs by externalId, keeps the secret write-only, and refuses bad ones with a typed reason', async () => {
    const { org } = await organizationWithOlga('u-42');
    const short = await server.gql(
      CONFIGURE,
      { input: { issuer: 'https://crm.example', audience: 'panel', sharedSecret: 'short' } },
      org.adminToken,
    );
    expect(refusalOf(short)).toMatchObject({ code: 'INVALID_INPUT', field: 'input.sharedSecret' });
    const long = await server.gql(
      CONFIGURE,
      { input: { issuer: 'https://crm.example', audience: 'panel', sharedSecret: 'x'.repeat(513) } },
      org.adminToken,
    );
    expect(refusalOf(long)).toMatchObject({ code: 'TOO_LONG', field: 'input.sharedSecret' });
    const two = await server.gql(
      CONFIGURE,
      { input: { issuer: 'https://crm.example', audience: 'panel', sharedSecret: SECRET, jwksUrl } },
      org.adminToken,
    );
    expect(refusalOf(two)).toMatchObject({ code: 'INVALID_INPUT', field: 'input' });
    // Before any setting, the issuer is unknown.
    expect(refusal(await server.gql(ME, {}, await sign({ sub: 'u-42', org: org.organizationId })))).toBe('UNAUTHENTICATED:UNKNOWN_ISSUER');

    const configured = await server.gql(
      CONFIGURE,
      { input: { issuer: 'https://crm.example', audience: 'panel', sharedSecret: SECRET } },
      org.adminToken,
    );
    expect(refusalOf(configured)).toMatchObject({ __typename: 'MutationConfigureHostSignInSuccess' });
    const read = await server.gql(`{ organization { hostSignIn { issuer keyKind operatorClaim operatorMatch } } }`, {}, org.adminToken);
    expect(read.data).toEqual({
      organization: {
        hostSignIn: { issuer: 'https://crm.example', keyKind: 'SHARED_SECRET', operatorClaim: 'sub', operatorMatch: 'EXTERNAL_ID' },
      },
    });
    expect(
      JSON.stringify(await server.gql(`{ organization { hostSignIn { publicKey jwksUrl updatedAt } } }`, {}, org.adminToken)),
    ).not.toContain(SECRET);

    // With the organization claim, and without it (the only organization using this issuer).
    expect((await server.gql<Me>(ME, {}, await sign({ sub: 'u-42', org: org.organizationId }))).data?.me.name).toBe('Olga');
    expect((await server.gql<Me>(ME, {}, await sign({ sub: 'u-42' }))).data?.me.name).toBe('Olga');

    expect(refusal(await server.gql(ME, {}, await sign({ sub: 'u-42' }, 'another-secret-of-32-characters-or-more')))).toBe(
      'UNAUTHENTICATED:BAD_SIGNATURE',
    );
    expect(refusal(await server.gql(ME, {}, await sign({ sub: 'u-42' }, SECRET, 'other-audience')))).toBe('UNAUTHENTICATED:CLAIM_MISMATCH');
    const past = Math.floor(Date.now() / 1000) - 10;
    expect(refusal(await server.gql(ME, {}, await sign({ sub: 'u-42' }, SECRET, 'panel', past)))).toBe('UNAUTHENTICATED:EXPIRED');
    expect(refusal(await server.gql(ME, {}, await sign({ sub: 'u-42' }, SECRET, 'panel', inOneHour() + 86_400)))).toBe(
      'UNAUTHENTICATED:EXPIRY_TOO_FAR',
    );
    expect(refusal(await server.gql(ME, {}, await sign({ sub: 'nobody' })))).toBe('UNAUTHENTICATED:UNKNOWN_CREDENTIAL');
    // Unsigned (alg none) tokens never pass.
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: 'https://crm.example', aud: 'panel', sub: 'u-42', exp: inOneHour() }),
    ).toString('base64url')}.`;
    expect(refusal(await server.gql(ME, {}, unsigned))).toMatch(/^UNAUTHENTICATED:/);
    // Another organization cannot use this organization's operator through the claim.
    const other = await server.newOrganization();
    expect(refusal(await server.gql(ME, {}, await sign({ sub: 'u-42', org: other.organizationId })))).toBe(
      'UNAUTHENTICATED:UNKNOWN_ISSUER',
    );
  });

  it('opens streams, which close on revocation; tokens the host mints afterwards work', async () => {
    const { org, olgaId } = await organizationWithOlga('u-7');
    await server.gql(CONFIGURE, { input: { issuer: 'https://crm.example', audience: 'panel', sharedSecret: SECRET } }, org.adminToken);
    const token = await sign({ sub: 'u-7', org: org.organizationId });
    const stream = connect(server, token);
    subscribe(stream.client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(refusalOf(await server.gql(REVOKE, { operatorId: olgaId }, org.adminToken)).__typename).toBe(
      'MutationRevokeOperatorTokensSuccess',
    );
    expect(await stream.closed).toBe(4403);
    await stream.client.dispose();
    expect(refusal(await server.gql(ME, {}, token))).toBe('UNAUTHENTICATED:REVOKED');
    // Host tokens carry whole-second `iat`s: one minted in the second of the revocation counts as revoked.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await server.gql<Me>(ME, {}, await sign({ sub: 'u-7', org: org.organizationId }))).data?.me.name).toBe('Olga');
  });
});

describe('an organization signing in with a public key or a JWKS', () => {
  it('maps an email claim with an ES256 public key', async () => {
    const { org } = await organizationWithOlga('u-1', 'Olga.Example@Example.test');
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const input = {
      issuer: 'https://es.example',
      audience: 'panel',
      publicKey: await exportSPKI(publicKey),
      operatorClaim: 'email',
      operatorMatch: 'EMAIL',
    };
    expect(refusalOf(await server.gql(CONFIGURE, { input }, org.adminToken)).__typename).toBe('MutationConfigureHostSignInSuccess');
    const sign = (alg: string, key: CryptoKey | Uint8Array) =>
      new SignJWT({ email: 'olga.example@example.test', org: org.organizationId })
        .setProtectedHeader({ alg })
        .setIssuer('https://es.example')
        .setAudience('panel')
        .setExpirationTime('5m')
        .sign(key);
    expect((await server.gql<Me>(ME, {}, await sign('ES256', privateKey))).data?.me.name).toBe('Olga');
    // An HS256 token "signed" with the public key's text (algorithm confusion) is refused.
    expect(refusal(await server.gql(ME, {}, await sign('HS256', new TextEncoder().encode(input.publicKey))))).toBe(
      'UNAUTHENTICATED:BAD_SIGNATURE',
    );
    const badKey = await server.gql(CONFIGURE, { input: { ...input, publicKey: 'not a key' } }, org.adminToken);
    expect(refusalOf(badKey)).toMatchObject({ code: 'INVALID_INPUT', field: 'input.publicKey' });
  });

  it('fetches the JWKS from the host (loopback), caches it, and fetches again for a new key id', async () => {
    const { org } = await organizationWithOlga('u-9');
    const first = await generateKeyPair('RS256', { extractable: true });
    publishedKeys = [{ ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
    const configured = await server.gql(CONFIGURE, { input: { issuer: 'https://rs.example', audience: 'panel', jwksUrl } }, org.adminToken);
    expect(refusalOf(configured)).toMatchObject({ __typename: 'MutationConfigureHostSignInSuccess' });
    const sign = (kid: string, key: CryptoKey) =>
      new SignJWT({ org: org.organizationId, sub: 'u-9' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer('https://rs.example')
        .setAudience('panel')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
    const before = jwksRequests;
    for (let i = 0; i < 3; i += 1) expect((await server.gql<Me>(ME, {}, await sign('k1', first.privateKey))).data?.me.name).toBe('Olga');
    expect(jwksRequests - before).toBe(1);

    // The host rotates: a token with the new key id makes the service fetch the set again.
    const second = await generateKeyPair('RS256', { extractable: true });
    publishedKeys = [...publishedKeys, { ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' }];
    const cache = new JwksCache({ outbound: server.app.services.outbound, ttlMs: 60_000, refetchAfterMs: 0 });
    await cache.keys(jwksUrl);
    expect(jwksRequests - before).toBe(2);
    // (The service's own cache waits 30 s between such refetches; a fresh cache shows the mechanism.)
    await cache.keys(jwksUrl, true);
    expect(jwksRequests - before).toBe(3);
  });
});

describe("the deployment's host application (HOST_JWT_*)", () => {
  it('signs in operators of any organization named by the org claim, by email', async () => {
    const { org } = await organizationWithOlga('u-3', 'olga3@example.test');
    const sign = (claims: JWTPayload) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://deployment.example')
        .setAudience('chat-panel')
        .setExpirationTime('5m')
        .sign(secretKey(DEPLOYMENT_SECRET));
    expect((await server.gql<Me>(ME, {}, await sign({ email: 'olga3@example.test', org: org.organizationId }))).data?.me.name).toBe('Olga');
    // The org claim may be the global id the API shows.
    const globalOrg = Buffer.from(`Organization:${org.organizationId}`).toString('base64');
    expect((await server.gql<Me>(ME, {}, await sign({ email: 'olga3@example.test', org: globalOrg }))).data?.me.name).toBe('Olga');
    expect(refusal(await server.gql(ME, {}, await sign({ email: 'olga3@example.test' })))).toBe('UNAUTHENTICATED:MALFORMED');
    const other = await server.newOrganization();
    expect(refusal(await server.gql(ME, {}, await sign({ email: 'olga3@example.test', org: other.organizationId })))).toBe(
      'UNAUTHENTICATED:UNKNOWN_CREDENTIAL',
    );
    // An API-key-shaped or service token keeps working beside it.
    expect(
      (await server.gql<Me>(ME, {}, issueOperatorToken('test-secret', 60, { id: org.adminId, organizationId: org.organizationId }).token))
        .data?.me.name,
    ).toBe('Admin');
  });
});

describe('a JWKS URL pointing at a private or metadata address', () => {
  it('is refused when configured, and a name resolving to one is never connected to', async () => {
    const asked: string[] = [];
    const guarded = await startTestServer({
      database: server.app.database,
      config: { outboundAllowPrivate: false },
      resolveOutboundHost: async (hostname) => {
        asked.push(hostname);
        return [{ address: '169.254.169.254', family: 4 }];
      },
    });
    try {
      const { org } = await organizationWithOlga('u-5');
      const literal = await guarded.gql(
        CONFIGURE,
        { input: { issuer: 'https://meta.example', audience: 'panel', jwksUrl: 'http://169.254.169.254/latest/meta-data/jwks' } },
        org.adminToken,
      );
      expect(refusalOf(literal)).toMatchObject({ code: 'URL_NOT_ALLOWED', field: 'input.jwksUrl' });
      const named = await guarded.gql(
        CONFIGURE,
        { input: { issuer: 'https://meta.example', audience: 'panel', jwksUrl: 'http://keys.rebind.example/jwks.json' } },
        org.adminToken,
      );
      expect(refusalOf(named).__typename).toBe('MutationConfigureHostSignInSuccess');
      const { privateKey } = await generateKeyPair('RS256');
      const token = await new SignJWT({ org: org.organizationId, sub: 'u-5' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .setIssuer('https://meta.example')
        .setAudience('panel')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect(refusal(await guarded.gql(ME, {}, token))).toBe('UNAUTHENTICATED:KEYS_UNAVAILABLE');
      expect(asked).toContain('keys.rebind.example');
    } finally {
      await guarded.stop();
    }
  });

  it('the JWKS cache goes through the guard: a refused address never gets a request', async () => {
    const guard = createOutboundGuard({ allowPrivate: false, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const cache = new JwksCache({ outbound: guard, ttlMs: 60_000 });
    const before = jwksRequests;
    await expect(cache.keys(jwksUrl.replace('127.0.0.1', 'loopback.example'))).rejects.toThrow(/non-public address/);
    await expect(cache.keys(jwksUrl)).rejects.toThrow(/loopback/);
    expect(jwksRequests).toBe(before);
    await guard.close();
  });
});
