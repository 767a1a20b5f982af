/**
 * Small helpers for the settings tests: operators with tokens, and unwrapping mutation results.
 */
import { expect } from 'vitest';
import type { TestOrganization, TestServer } from '../helpers/test-server.js';

export interface Result {
  __typename: string;
  data?: unknown;
  code?: string;
  field?: string | null;
  message?: string;
}

/** Runs a document whose only root field is a mutation with an `errors: {}` union; returns it. */
export async function mutate(server: TestServer, document: string, variables: Record<string, unknown>, credential: string) {
  const response = await server.gql<Record<string, Result>>(document, variables, credential);
  expect(response.errors).toBeUndefined();
  const value = Object.values(response.data ?? {})[0];
  if (!value) throw new Error(`no result: ${JSON.stringify(response)}`);
  return value;
}

export async function succeed<T = Record<string, unknown>>(
  server: TestServer,
  document: string,
  variables: Record<string, unknown>,
  credential: string,
) {
  const value = await mutate(server, document, variables, credential);
  expect(value.__typename, JSON.stringify(value)).toMatch(/Success$/);
  return value.data as T;
}

const ROLES = /* GraphQL */ `
  query {
    roles {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`;

export async function roleIds(server: TestServer, org: TestOrganization) {
  const response = await server.gql<{ roles: { edges: { node: { id: string; name: string } }[] } }>(ROLES, {}, org.adminToken);
  const byName = Object.fromEntries((response.data?.roles.edges ?? []).map((e) => [e.node.name, e.node.id]));
  return { admin: byName.Admin as string, operator: byName.Operator as string };
}

export const CREATE_OPERATOR = /* GraphQL */ `
  mutation ($input: CreateOperatorInput!) {
    createOperator(input: $input) {
      __typename
      ... on MutationCreateOperatorSuccess { data { id name email role { name } groups { id name } } }
      ... on AppError { code message field }
    }
  }
`;

const ISSUE_TOKEN = /* GraphQL */ `
  mutation ($operatorId: ID!) {
    issueOperatorToken(operatorId: $operatorId) {
      __typename
      ... on MutationIssueOperatorTokenSuccess { data { token } }
    }
  }
`;

/** Creates an operator (role "Operator" unless `admin`) and issues them a token. */
export async function newOperator(
  server: TestServer,
  org: TestOrganization,
  name: string,
  options: { admin?: boolean; groupIds?: string[] } = {},
) {
  const roles = await roleIds(server, org);
  const created = await succeed<{ id: string }>(
    server,
    CREATE_OPERATOR,
    {
      input: {
        name,
        email: `${name.toLowerCase()}@example.test`,
        roleId: options.admin ? roles.admin : roles.operator,
        groupIds: options.groupIds,
      },
    },
    org.adminToken,
  );
  const issued = await succeed<{ token: string }>(server, ISSUE_TOKEN, { operatorId: created.id }, org.adminToken);
  return { id: created.id, token: issued.token };
}

/** The raw UUID inside a Relay global ID. */
export const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1] as string;
