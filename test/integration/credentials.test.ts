/**
 * Credentials through the API: integrator keys shown once, working, revoked at once; roles deleted
 * only when no operator has them; nothing of it reachable from another organization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../../src/auth/api-keys.js';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const CREATE_KEY = /* GraphQL */ `
  mutation ($name: String!) {
    createApiKey(name: $name) {
      __typename
      ... on MutationCreateApiKeySuccess { data { created { key } apiKey { id name revokedAt } } }
      ... on AppError { code }
    }
  }
`;
const REVOKE_KEY = /* GraphQL */ `
  mutation ($id: ID!) {
    revokeApiKey(id: $id) {
      __typename
      ... on MutationRevokeApiKeySuccess { data { id revokedAt } }
      ... on AppError { code }
    }
  }
`;
const SYSTEM_MESSAGE = /* GraphQL */ `
  mutation { reportSystemMessage(input: { title: "Hello", body: "World" }) { __typename } }
`;
type Created = { createApiKey: { __typename: string; data: { created: { key: string }; apiKey: { id: string; name: string } } } };

describe('integrator API keys', () => {
  it('are shown once, report happenings, are listed without their secret, and are refused at once when revoked', async () => {
    const org = await server.newOrganization();
    const created = await server.gql<Created>(CREATE_KEY, { name: 'CRM' }, org.adminToken);
    const { key } = created.data!.createApiKey.data.created;
    const { id } = created.data!.createApiKey.data.apiKey;
    expect(key).toMatch(/^nbk_/);

    const reported = await server.gql<{ reportSystemMessage: { __typename: string } }>(SYSTEM_MESSAGE, {}, key);
    expect(reported.data?.reportSystemMessage.__typename).toBe('MutationReportSystemMessageSuccess');

    const listed = await server.gql(`{ apiKeys { edges { node { id name revokedAt } } } }`, {}, org.adminToken);
    expect(JSON.stringify(listed)).not.toContain(parseApiKey(key)?.secret);
    expect(parseApiKey(key)?.secret.length).toBeGreaterThan(16);
    expect(JSON.stringify(listed)).toContain('CRM');

    const revoked = await server.gql<{ revokeApiKey: { data: { revokedAt: string | null } } }>(REVOKE_KEY, { id }, org.adminToken);
    expect(revoked.data?.revokeApiKey.data.revokedAt).not.toBeNull();
    const refused = await server.gql(SYSTEM_MESSAGE, {}, key);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('only admins create them, and another organization can neither list nor revoke them', async () => {
    const org = await server.newOrganization();
    const other = await server.newOrganization();
    const asIntegrator = await server.gql(CREATE_KEY, { name: 'x' }, org.apiKey);
    expect(refusalOf(asIntegrator)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    const created = await server.gql<Created>(CREATE_KEY, { name: 'Mine' }, org.adminToken);
    const { id } = created.data!.createApiKey.data.apiKey;
    const { key } = created.data!.createApiKey.data.created;

    const foreignRevoke = await server.gql(REVOKE_KEY, { id }, other.adminToken);
    expect(foreignRevoke.data).toEqual({ revokeApiKey: { __typename: 'AppError', code: 'NOT_FOUND' } });
    const foreignList = await server.gql(`{ apiKeys { edges { node { name } } } }`, {}, other.adminToken);
    expect(JSON.stringify(foreignList)).not.toContain('Mine');
    const stillWorks = await server.gql<{ reportSystemMessage: { __typename: string } }>(SYSTEM_MESSAGE, {}, key);
    expect(stillWorks.data?.reportSystemMessage.__typename).toBe('MutationReportSystemMessageSuccess');
  });
});

describe('deleting roles', () => {
  const DELETE_ROLE = /* GraphQL */ `
    mutation ($id: ID!) { deleteRole(id: $id) { __typename ... on AppError { code } } }
  `;
  const ROLES = `{ roles { edges { node { id name } } } }`;
  type Roles = { roles: { edges: { node: { id: string; name: string } }[] } };

  it('refuses a role that operators still have, deletes an empty one, and never another organization’s', async () => {
    const org = await server.newOrganization();
    const other = await server.newOrganization();
    const roles = await server.gql<Roles>(ROLES, {}, org.adminToken);
    const admin = roles.data!.roles.edges.find((e) => e.node.name === 'Admin')!.node;
    const empty = roles.data!.roles.edges.find((e) => e.node.name === 'Operator')!.node;

    expect((await server.gql(DELETE_ROLE, { id: admin.id }, org.adminToken)).data).toEqual({
      deleteRole: { __typename: 'AppError', code: 'CONFLICT' },
    });
    expect((await server.gql(DELETE_ROLE, { id: empty.id }, other.adminToken)).data).toEqual({
      deleteRole: { __typename: 'AppError', code: 'NOT_FOUND' },
    });
    expect((await server.gql(DELETE_ROLE, { id: empty.id }, org.adminToken)).data).toEqual({
      deleteRole: { __typename: 'MutationDeleteRoleSuccess' },
    });

    const after = await server.gql<Roles>(ROLES, {}, org.adminToken);
    expect(after.data!.roles.edges.map((e) => e.node.name)).toEqual(['Admin']);
  });
});
