/**
 * Issue 7, production mode (NODE_ENV=production, read once into `config.production`): no GraphiQL,
 * no introspection for unauthenticated callers, no field suggestions. The same server in
 * development keeps them. (Masked answers without stack or SQL: lifecycle.test.ts, readiness.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let development: TestServer;
let production: TestServer;
beforeAll(async () => {
  development = await startTestServer({ config: { production: false } });
  production = await startTestServer({ config: { production: true } });
});
afterAll(async () => {
  await development?.stop();
  await production?.stop();
});

const INTROSPECTION = `{ __schema { queryType { name } } __type(name: "Operator") { fields { name } } }`;

const browse = async (server: TestServer) => {
  const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
  return { type: response.headers.get('content-type') ?? '', body: await response.text() };
};

describe('production mode', () => {
  it('serves no GraphiQL page (development does)', async () => {
    const dev = await browse(development);
    expect(dev.type).toContain('text/html');
    expect(dev.body).toContain('GraphiQL');
    const prod = await browse(production);
    expect(prod.type).not.toContain('text/html');
    expect(prod.body).not.toContain('GraphiQL');
  });

  it('answers introspection to authenticated callers only', async () => {
    const org = await production.newOrganization();
    const anonymous = await production.gql(INTROSPECTION);
    expect(anonymous.data).toBeUndefined();
    expect(anonymous.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
    for (const credential of [org.adminToken, org.apiKey]) {
      const allowed = await production.gql<{ __schema: { queryType: { name: string } } }>(INTROSPECTION, {}, credential);
      expect(allowed.errors).toBeUndefined();
      expect(allowed.data?.__schema.queryType.name).toBe('Query');
    }
    // An anonymous caller still gets ordinary answers, and `__typename` is not introspection.
    expect(await production.gql('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    // Development lets anyone introspect (GraphiQL needs it).
    expect((await development.gql(INTROSPECTION)).errors).toBeUndefined();
  });

  it('hides field suggestions', async () => {
    const prod = await production.gql('{ widgetz { edges { node { id } } } }');
    expect(prod.errors?.[0]?.message).not.toContain('Did you mean');
    const dev = await development.gql('{ widgetz { edges { node { id } } } }');
    expect(dev.errors?.[0]?.message).toContain('Did you mean "widgets"');
  });
});
