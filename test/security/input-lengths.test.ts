/**
 * Length limits (issue 7, part 6) through the real HTTP server: every mutation taking free text,
 * given one character (or item) over the limit its field's kind has in src/domain/input-limits.ts,
 * answers AppError TOO_LONG with the field's path and stores nothing (every row of the organization
 * compared before and after); lists (survey answers, transcript, batch happenings, ids) are bounded too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_LIMITS, type InputLimitKind } from '../../src/domain/input-limits.js';
import { globalId, type Seeder, seedOrganization } from '../helpers/seed.js';
import { refusalOf, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let seeder: Seeder;
const ids: Record<'widget' | 'operator' | 'group' | 'role' | 'addon', string> = {
  widget: '',
  operator: '',
  group: '',
  role: '',
  addon: '',
};

beforeAll(async () => {
  // Generous rate limits: an over-long batch must meet the length check, not the key's happening budget.
  server = await startTestServer({ config: { rateLimitApiKeyHappenings: 1_000_000 } });
  seeder = await seedOrganization(server, 'Lengths');
  ids.widget = await seeder.widget();
  ids.operator = await seeder.operator('Olga');
  ids.group = await seeder.group('Sales');
  ids.role = await seeder.createRole('Staff');
  ids.addon = await seeder.addon(['ALL_OFFLINE_MESSAGES']);
});
afterAll(() => server.stop());

/** One character over the limit of `kind`. */
const over = (kind: InputLimitKind) => 'x'.repeat(INPUT_LIMITS[kind].max + 1);
const overEmail = () => `${'x'.repeat(INPUT_LIMITS.email.max)}@example.test`;
const items = <T>(kind: InputLimitKind, item: T) => Array.from({ length: INPUT_LIMITS[kind].max + 1 }, () => item);

const mutation = (field: string, args: string) =>
  `mutation ($v: ${args.split(':')[1]?.trim()}) { ${field}(${args.split(':')[0]}: $v) { __typename ... on AppError { code field message } } }`;

/** [mutation field, its argument and type, the value, the path expected, credential]. */
type Case = [string, string, () => unknown, string, 'admin' | 'integrator'];
const cases: Case[] = [
  ['createWidget', 'input: CreateWidgetInput!', () => ({ name: over('name') }), 'input.name', 'admin'],
  ['updateWidget', 'input: UpdateWidgetInput!', () => ({ id: ids.widget, name: over('name') }), 'input.name', 'admin'],
  ['createOperator', 'input: CreateOperatorInput!', () => ({ name: over('name'), roleId: ids.role }), 'input.name', 'admin'],
  ['createOperator', 'input: CreateOperatorInput!', () => ({ name: 'N', email: overEmail(), roleId: ids.role }), 'input.email', 'admin'],
  ['updateOperator', 'input: UpdateOperatorInput!', () => ({ id: ids.operator, name: over('name') }), 'input.name', 'admin'],
  ['updateOperator', 'input: UpdateOperatorInput!', () => ({ id: ids.operator, email: overEmail() }), 'input.email', 'admin'],
  ['createRole', 'input: CreateRoleInput!', () => ({ name: over('name') }), 'input.name', 'admin'],
  ['updateRole', 'input: UpdateRoleInput!', () => ({ id: ids.role, name: over('name') }), 'input.name', 'admin'],
  ['createOperatorGroup', 'input: CreateOperatorGroupInput!', () => ({ name: over('name') }), 'input.name', 'admin'],
  [
    'createOperatorGroup',
    'input: CreateOperatorGroupInput!',
    () => ({ name: 'G', memberIds: items('list', ids.operator) }),
    'input.memberIds',
    'admin',
  ],
  ['updateOperatorGroup', 'input: UpdateOperatorGroupInput!', () => ({ id: ids.group, name: over('name') }), 'input.name', 'admin'],
  ['updateOrganization', 'input: UpdateOrganizationInput!', () => ({ name: over('name') }), 'input.name', 'admin'],
  ['updateOrganization', 'input: UpdateOrganizationInput!', () => ({ timeZone: over('shortText') }), 'input.timeZone', 'admin'],
  ['createApiKey', 'name: String!', () => over('name'), 'name', 'admin'],
  ...addonCases(),
  ...reportCases(),
];

function addonCases(): Case[] {
  const create =
    (config: unknown, name = 'A') =>
    () => ({
      kind:
        Object.keys(config as object)[0] === 'slack'
          ? 'SLACK'
          : Object.keys(config as object)[0] === 'webhook'
            ? 'WEBHOOK'
            : Object.keys(config as object)[0] === 'helpScout'
              ? 'HELP_SCOUT'
              : 'EMAIL_TICKET',
      name,
      config,
    });
  const c = 'input: CreateAddonInput!';
  return [
    ['createAddon', c, create({ emailTicket: { toAddress: 'a@example.test' } }, over('name')), 'input.name', 'admin'],
    ['createAddon', c, create({ emailTicket: { toAddress: overEmail() } }), 'input.config.emailTicket.toAddress', 'admin'],
    ['createAddon', c, create({ slack: { webhookUrl: `https://example.test/${over('url')}` } }), 'input.config.slack.webhookUrl', 'admin'],
    [
      'createAddon',
      c,
      create({ slack: { webhookUrl: 'https://example.test/h', channel: over('identifier') } }),
      'input.config.slack.channel',
      'admin',
    ],
    ['createAddon', c, create({ webhook: { url: `https://example.test/${over('url')}` } }), 'input.config.webhook.url', 'admin'],
    [
      'createAddon',
      c,
      create({ webhook: { url: 'https://example.test/h', secret: over('secret') } }),
      'input.config.webhook.secret',
      'admin',
    ],
    ['createAddon', c, create({ helpScout: { apiToken: over('secret'), mailboxId: '1' } }), 'input.config.helpScout.apiToken', 'admin'],
    [
      'createAddon',
      c,
      create({ helpScout: { apiToken: 't', mailboxId: over('identifier') } }),
      'input.config.helpScout.mailboxId',
      'admin',
    ],
    [
      'createAddon',
      c,
      create({ helpScout: { apiToken: 't', mailboxId: '1', apiBaseUrl: `https://x.test/${over('url')}` } }),
      'input.config.helpScout.apiBaseUrl',
      'admin',
    ],
    ['updateAddon', 'input: UpdateAddonInput!', () => ({ id: ids.addon, name: over('name') }), 'input.name', 'admin'],
  ];
}

function reportCases(): Case[] {
  const r = (field: string, type: string, input: () => Record<string, unknown>, path: string): Case => [
    field,
    `input: ${type}!`,
    input,
    `input.${path}`,
    'integrator',
  ];
  const started = () => ({ chatId: 'c', widgetId: ids.widget, operatorId: ids.operator });
  return [
    r('reportChatStarted', 'ReportChatStartedInput', () => ({ ...started(), chatId: over('identifier') }), 'chatId'),
    r('reportChatStarted', 'ReportChatStartedInput', () => ({ ...started(), visitorName: over('name') }), 'visitorName'),
    r('reportChatStarted', 'ReportChatStartedInput', () => ({ ...started(), visitorEmail: overEmail() }), 'visitorEmail'),
    r('reportChatStarted', 'ReportChatStartedInput', () => ({ ...started(), idempotencyKey: over('identifier') }), 'idempotencyKey'),
    r('reportVisitorMessage', 'ReportVisitorMessageInput', () => ({ chatId: 'c', text: over('text') }), 'text'),
    r('reportOperatorMessage', 'ReportOperatorMessageInput', () => ({ chatId: 'c', text: over('text') }), 'text'),
    r('reportChatRated', 'ReportChatRatedInput', () => ({ chatId: 'c', rating: 5, comment: over('text') }), 'comment'),
    r('reportFeedbackGiven', 'ReportFeedbackGivenInput', () => ({ chatId: 'c', text: over('text') }), 'text'),
    r(
      'reportSurveyAnswered',
      'ReportSurveyAnsweredInput',
      () => ({ chatId: 'c', answers: [{ question: over('title'), answer: 'a' }] }),
      'answers.0.question',
    ),
    r(
      'reportSurveyAnswered',
      'ReportSurveyAnsweredInput',
      () => ({ chatId: 'c', answers: [{ question: 'q', answer: over('text') }] }),
      'answers.0.answer',
    ),
    r(
      'reportSurveyAnswered',
      'ReportSurveyAnsweredInput',
      () => ({ chatId: 'c', answers: items('surveyAnswers', { question: 'q', answer: 'a' }) }),
      'answers',
    ),
    r('reportGoalReached', 'ReportGoalReachedInput', () => ({ chatId: 'c', goal: over('title') }), 'goal'),
    r('reportChatFinished', 'ReportChatFinishedInput', () => ({ chatId: 'c', summary: over('text') }), 'summary'),
    r(
      'reportChatFinished',
      'ReportChatFinishedInput',
      () => ({
        chatId: 'c',
        transcript: [
          { from: 'VISITOR', text: 'hi' },
          { from: 'OPERATOR', text: over('text') },
        ],
      }),
      'transcript.1.text',
    ),
    r(
      'reportChatFinished',
      'ReportChatFinishedInput',
      () => ({ chatId: 'c', transcript: items('transcriptLines', { from: 'VISITOR', text: 'hi' }) }),
      'transcript',
    ),
    r(
      'reportOfflineMessage',
      'ReportOfflineMessageInput',
      () => ({ widgetId: ids.widget, text: 'hi', visitorName: over('name') }),
      'visitorName',
    ),
    r('reportOfflineMessage', 'ReportOfflineMessageInput', () => ({ widgetId: ids.widget, text: over('text') }), 'text'),
    r('reportSystemMessage', 'ReportSystemMessageInput', () => ({ title: over('title'), body: 'b' }), 'title'),
    r('reportSystemMessage', 'ReportSystemMessageInput', () => ({ title: 't', body: over('text') }), 'body'),
    r(
      'reportHappenings',
      'ReportHappeningsInput',
      () => ({ happenings: [{ systemMessage: { title: 't', body: 'b' } }, { visitorMessage: { chatId: 'c', text: over('text') } }] }),
      'happenings.1.visitorMessage.text',
    ),
    r(
      'reportHappenings',
      'ReportHappeningsInput',
      () => ({ happenings: items('happenings', { systemMessage: { title: 't', body: 'b' } }) }),
      'happenings',
    ),
  ];
}

/** Every row of the organization that a mutation above could write. */
async function snapshot() {
  const prisma = server.app.database.prisma;
  const organizationId = seeder.org.organizationId;
  const where = { organizationId };
  return JSON.stringify(
    await Promise.all([
      prisma.organization.findUniqueOrThrow({ where: { id: organizationId } }),
      prisma.widget.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.operator.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.role.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.operatorGroup.findMany({ where, orderBy: { id: 'asc' }, include: { memberships: true } }),
      prisma.addon.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.apiKey.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.happening.count({ where }),
      prisma.notificationEvent.count({ where }),
      prisma.chat.count({ where }),
    ]),
    (_key, value) => (typeof value === 'bigint' ? value.toString() : value),
  );
}

describe('over-limit input: TOO_LONG on the field, nothing stored', () => {
  it.each(cases.map((c) => [`${c[0]} ${c[3]}`, c] as const))('%s', async (_name, [field, args, value, path, who]) => {
    const before = await snapshot();
    const credential = who === 'admin' ? seeder.org.adminToken : seeder.org.apiKey;
    const response = await server.gql(mutation(field, args), { v: value() }, credential);
    expect(refusalOf(response)).toMatchObject({ __typename: 'AppError', code: 'TOO_LONG', field: path });
    expect(await snapshot()).toBe(before);
  });

  it('a value at the limit is accepted', async () => {
    const response = await server.gql(
      mutation('createWidget', 'input: CreateWidgetInput!'),
      { v: { name: 'x'.repeat(INPUT_LIMITS.name.max) } },
      seeder.org.adminToken,
    );
    expect(refusalOf(response).__typename).toBe('MutationCreateWidgetSuccess');
  });

  it('queries are bounded too: a top-level TOO_LONG with the path', async () => {
    const response = await server.gql(
      `query ($input: PreviewNotificationInput!) { previewNotification(input: $input) { __typename ... on AppError { code field } } }`,
      { input: { happening: { systemMessage: { title: over('title'), body: 'b' } } } },
      seeder.org.adminToken,
    );
    expect(refusalOf(response)).toMatchObject({ code: 'TOO_LONG', field: 'input.happening.systemMessage.title' });
    const node = await server.gql(
      `query ($id: ID!) { node(id: $id) { id } }`,
      { id: globalId('Widget', over('globalId')) },
      seeder.org.adminToken,
    );
    expect(node.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_LONG', field: 'id' });
  });
});
