import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const CREATE_ROLE = /* GraphQL */ `
  mutation ($input: CreateRoleInput!) {
    createRole(input: $input) {
      __typename
      ... on MutationCreateRoleSuccess { data { id name notificationsEnabled isAdmin } }
      ... on AppError { code message field }
    }
  }
`;

describe('roles', () => {
  it('admins create roles with notifications on by default; duplicates are a typed conflict', async () => {
    const org = await server.newOrganization();
    const created = await server.gql<{ createRole: { data: { name: string; notificationsEnabled: boolean } } }>(
      CREATE_ROLE,
      { input: { name: 'Staff' } },
      org.adminToken,
    );
    expect(created.data?.createRole.data).toMatchObject({ name: 'Staff', notificationsEnabled: true });
    const again = await server.gql(CREATE_ROLE, { input: { name: 'Staff' } }, org.adminToken);
    expect(again.data).toEqual({ createRole: { __typename: 'AppError', code: 'CONFLICT', message: expect.any(String), field: null } });
  });

  it('an integrator key cannot manage roles and anonymous callers are told to authenticate', async () => {
    const org = await server.newOrganization();
    const asIntegrator = await server.gql(CREATE_ROLE, { input: { name: 'X' } }, org.apiKey);
    expect(refusalOf(asIntegrator)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    const anonymous = await server.gql(CREATE_ROLE, { input: { name: 'X' } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('a mutation whose client selects only __typename or the error branch still runs', async () => {
    const org = await server.newOrganization();
    const created = await server.gql<{ createRole: { __typename: string } }>(
      `mutation { createRole(input: { name: "Night shift" }) { __typename ... on AppError { code } } }`,
      {},
      org.adminToken,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createRole.__typename).toBe('MutationCreateRoleSuccess');
    const roles = await server.gql<{ roles: { edges: { node: { name: string } }[] } }>(
      `{ roles { edges { node { name } } } }`,
      {},
      org.adminToken,
    );
    expect(roles.data?.roles.edges.map((e) => e.node.name)).toContain('Night shift');
  });
});

describe('organization settings', () => {
  const UPDATE = /* GraphQL */ `
    mutation ($input: UpdateOrganizationInput!) {
      updateOrganization(input: $input) {
        __typename
        ... on MutationUpdateOrganizationSuccess { data { name timeZone dailySummaryTime } }
        ... on AppError { code field }
      }
    }
  `;

  it('admins set the time zone and daily summary time; bad values are refused and change nothing', async () => {
    const org = await server.newOrganization('Tz org');
    const ok = await server.gql(UPDATE, { input: { timeZone: 'Europe/Berlin', dailySummaryTime: '07:30' } }, org.adminToken);
    expect(ok.data).toEqual({
      updateOrganization: {
        __typename: 'MutationUpdateOrganizationSuccess',
        data: { name: 'Tz org', timeZone: 'Europe/Berlin', dailySummaryTime: '07:30' },
      },
    });
    const badZone = await server.gql(UPDATE, { input: { timeZone: 'Mars/Olympus' } }, org.adminToken);
    expect(badZone.data).toEqual({ updateOrganization: { __typename: 'AppError', code: 'INVALID_INPUT', field: 'input.timeZone' } });
    const badTime = await server.gql(UPDATE, { input: { dailySummaryTime: '25:00' } }, org.adminToken);
    expect(badTime.data).toEqual({
      updateOrganization: { __typename: 'AppError', code: 'INVALID_INPUT', field: 'input.dailySummaryTime' },
    });
    const after = await server.gql<{ organization: { timeZone: string; dailySummaryTime: string } }>(
      '{ organization { timeZone dailySummaryTime } }',
      {},
      org.adminToken,
    );
    expect(after.data?.organization).toEqual({ timeZone: 'Europe/Berlin', dailySummaryTime: '07:30' });
  });
});
