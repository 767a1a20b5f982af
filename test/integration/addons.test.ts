import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';
import { mutate, newOperator, rawId, succeed } from './settings-helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const prisma = () => server.app.database.prisma;

const CONFIG = `config { __typename ... on EmailTicketConfig { toAddress } ... on SlackConfig { webhookUrl channel }
  ... on HelpScoutConfig { apiBaseUrl mailboxId } ... on WebhookConfig { url } }`;
const ADDON = `id kind name enabled events deletedAt ${CONFIG}`;
const CREATE = `mutation ($input: CreateAddonInput!) { createAddon(input: $input) { __typename
  ... on MutationCreateAddonSuccess { data { webhookSecret addon { ${ADDON} } } } ... on AppError { code message field } } }`;
const UPDATE = `mutation ($input: UpdateAddonInput!) { updateAddon(input: $input) { __typename
  ... on MutationUpdateAddonSuccess { data { webhookSecret addon { ${ADDON} } } } ... on AppError { code message field } } }`;
const DELETE = `mutation ($id: ID!) { deleteAddon(id: $id) { __typename
  ... on MutationDeleteAddonSuccess { data { id deletedAt } } ... on AppError { code message field } } }`;
const ADDONS = `query { addons { edges { node { ${ADDON} } } } }`;

type Addon = { id: string; kind: string; enabled: boolean; events: string[]; config: Record<string, unknown> };
type Written = { webhookSecret: string | null; addon: Addon };

describe('addons', () => {
  it('each kind is created with its configuration; secrets are never readable, a generated webhook secret is shown once', async () => {
    const org = await server.newOrganization();
    const ticket = await succeed<Written>(
      server,
      CREATE,
      {
        input: {
          kind: 'EMAIL_TICKET',
          name: 'Tickets',
          events: ['NEW_CHAT_SESSION'],
          config: { emailTicket: { toAddress: 'desk@example.test' } },
        },
      },
      org.adminToken,
    );
    expect(ticket).toMatchObject({
      webhookSecret: null,
      addon: {
        kind: 'EMAIL_TICKET',
        enabled: true,
        events: ['NEW_CHAT_SESSION'],
        config: { __typename: 'EmailTicketConfig', toAddress: 'desk@example.test' },
      },
    });
    const slack = await succeed<Written>(
      server,
      CREATE,
      {
        input: {
          kind: 'SLACK',
          name: 'Slack',
          events: ['ALL_CHAT_RATINGS'],
          config: { slack: { webhookUrl: 'https://hooks.example.test/x', channel: '#cs' } },
        },
      },
      org.adminToken,
    );
    expect(slack.addon.config).toEqual({ __typename: 'SlackConfig', webhookUrl: 'https://hooks.example.test/x', channel: '#cs' });
    const helpScout = await succeed<Written>(
      server,
      CREATE,
      {
        input: {
          kind: 'HELP_SCOUT',
          name: 'HS',
          events: ['ALL_OFFLINE_MESSAGES'],
          config: { helpScout: { apiToken: 'hs-token', mailboxId: '7' } },
        },
      },
      org.adminToken,
    );
    expect(helpScout.addon.config).toEqual({ __typename: 'HelpScoutConfig', apiBaseUrl: 'https://api.helpscout.net/v2', mailboxId: '7' });
    const webhook = await succeed<Written>(
      server,
      CREATE,
      {
        input: {
          kind: 'WEBHOOK',
          name: 'Hook',
          events: ['ALL_FINISHED_CHAT_SESSIONS'],
          config: { webhook: { url: 'https://example.test/hook' } },
        },
      },
      org.adminToken,
    );
    expect(webhook.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhook.addon.config).toEqual({ __typename: 'WebhookConfig', url: 'https://example.test/hook' });
    const stored = await prisma().addon.findUniqueOrThrow({ where: { id: rawId(webhook.addon.id) } });
    expect(stored.config).toMatchObject({ secret: webhook.webhookSecret });

    // Secrets appear nowhere in what can be read back.
    const listed = await server.gql(ADDONS, {}, org.adminToken);
    expect(JSON.stringify(listed)).not.toContain('hs-token');
    expect(JSON.stringify(listed)).not.toContain(webhook.webhookSecret);
    const introspected = await server.gql<{ __type: { fields: { name: string }[] } }>(
      'query { __type(name: "HelpScoutConfig") { fields { name } } }',
    );
    expect(introspected.data?.__type.fields.map((f) => f.name)).not.toContain('apiToken');

    // An update keeps the secret unless asked to rotate; rotating shows the new one once.
    const renamed = await succeed<Written>(
      server,
      UPDATE,
      { input: { id: webhook.addon.id, name: 'Hook 2', enabled: false } },
      org.adminToken,
    );
    expect(renamed).toMatchObject({ webhookSecret: null, addon: { enabled: false } });
    const rotated = await succeed<Written>(server, UPDATE, { input: { id: webhook.addon.id, rotateSecret: true } }, org.adminToken);
    expect(rotated.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(rotated.webhookSecret).not.toBe(webhook.webhookSecret);
    const helpScoutUpdated = await succeed<Written>(
      server,
      UPDATE,
      { input: { id: helpScout.addon.id, config: { helpScout: { mailboxId: '8' } } } },
      org.adminToken,
    );
    expect(helpScoutUpdated.addon.config).toMatchObject({ mailboxId: '8' });
    expect((await prisma().addon.findUniqueOrThrow({ where: { id: rawId(helpScout.addon.id) } })).config).toMatchObject({
      apiToken: 'hs-token',
    });
  });

  it('refuses invalid configuration per kind, a branch of another kind, and unsupported events', async () => {
    const org = await server.newOrganization();
    const cases = [
      [{ kind: 'EMAIL_TICKET', config: { emailTicket: { toAddress: 'nope' } } }, 'input.config.toAddress'],
      [{ kind: 'SLACK', config: { slack: { webhookUrl: 'ftp://x.test' } } }, 'input.config.webhookUrl'],
      [{ kind: 'HELP_SCOUT', config: { helpScout: { mailboxId: '1' } } }, 'input.config.apiToken'],
      [
        { kind: 'HELP_SCOUT', config: { helpScout: { apiToken: 't', mailboxId: '1', apiBaseUrl: 'not a url' } } },
        'input.config.apiBaseUrl',
      ],
      [{ kind: 'WEBHOOK', config: { webhook: { url: 'https://x.test', secret: 'short' } } }, 'input.config.secret'],
      [{ kind: 'WEBHOOK', config: { slack: { webhookUrl: 'https://x.test' } } }, 'input.config'],
      [
        {
          kind: 'HELP_SCOUT',
          events: ['ALL_OFFLINE_MESSAGES', 'NEW_CHAT_SESSION'],
          config: { helpScout: { apiToken: 't', mailboxId: '1' } },
        },
        'input.events.1',
      ],
      [{ kind: 'SLACK', events: ['ANALYTICS_DAILY'], config: { slack: { webhookUrl: 'https://x.test' } } }, 'input.events.0'],
    ] as const;
    for (const [input, field] of cases) {
      const refused = await mutate(server, CREATE, { input: { name: 'A', events: [], ...input } }, org.adminToken);
      expect(refused, JSON.stringify(input)).toMatchObject({ __typename: 'AppError', code: 'INVALID_INPUT', field });
    }
    const unsupported = await mutate(
      server,
      CREATE,
      { input: { kind: 'HELP_SCOUT', name: 'A', events: ['NEW_CHAT_SESSION'], config: { helpScout: { apiToken: 't', mailboxId: '1' } } } },
      org.adminToken,
    );
    expect(unsupported.message).toContain('NEW_CHAT_SESSION');
    const twoBranches = await server.gql(
      CREATE,
      {
        input: { kind: 'SLACK', name: 'A', config: { slack: { webhookUrl: 'https://x.test' }, webhook: { url: 'https://x.test' } } },
      },
      org.adminToken,
    );
    expect(twoBranches.errors?.length).toBeGreaterThan(0);
    expect(await prisma().addon.count({ where: { organizationId: org.organizationId } })).toBe(0);
  });

  it('are soft-deleted, and only admins of the same organization manage them', async () => {
    const org = await server.newOrganization('A');
    const intruder = await server.newOrganization('B');
    const ann = await newOperator(server, org, 'Ann');
    const input = { kind: 'SLACK', name: 'Slack', events: [], config: { slack: { webhookUrl: 'https://hooks.example.test/x' } } };
    const { addon } = await succeed<Written>(server, CREATE, { input }, org.adminToken);

    const asOperator = await server.gql(CREATE, { input }, ann.token);
    expect(refusalOf(asOperator)).toMatchObject({ __typename: 'AppError', code: 'FORBIDDEN' });
    const operatorReadsConfig = await server.gql(ADDONS, {}, ann.token);
    expect(operatorReadsConfig.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const asIntegrator = await server.gql(ADDONS, {}, org.apiKey);
    expect(asIntegrator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const read = await server.gql<{ node: unknown }>('query ($id: ID!) { node(id: $id) { id } }', { id: addon.id }, intruder.adminToken);
    expect(read.data?.node ?? null).toBeNull();
    expect(await mutate(server, UPDATE, { input: { id: addon.id, enabled: false } }, intruder.adminToken)).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await mutate(server, DELETE, { id: addon.id }, intruder.adminToken)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await prisma().addon.findUniqueOrThrow({ where: { id: rawId(addon.id) } })).toMatchObject({ enabled: true, deletedAt: null });

    const deleted = await succeed<{ deletedAt: string | null }>(server, DELETE, { id: addon.id }, org.adminToken);
    expect(deleted.deletedAt).not.toBeNull();
    expect(await prisma().addon.count({ where: { id: rawId(addon.id) } })).toBe(1);
    const listed = await server.gql<{ addons: { edges: unknown[] } }>(ADDONS, {}, org.adminToken);
    expect(listed.data?.addons.edges).toEqual([]);
  });
});
