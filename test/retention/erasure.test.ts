/**
 * eraseVisitorData (issue 15): no trace of the visitor's email or message texts in any live row
 * (a full scan of every table on PGlite, `pg_dump --data-only` on PostgreSQL) nor in the `.eml`
 * files of the embedded mail outbox; analytics counts unchanged; audited without personal data;
 * idempotent; a delivery still queued goes out without the erased fields.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver, waitFor } from '../delivery/receivers.js';
import { call, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let http: HttpReceiver;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'erasure-'));
  http = await startHttpReceiver();
  // A failed webhook is retried after 3 s: long enough for the erasure to come first.
  server = await startTestServer({ config: { dataDir, deliveryPollMs: 50, deliveryBackoffBaseMs: 3000, deliveryBackoffMaxMs: 3000 } });
});
afterAll(async () => {
  await server?.stop();
  await http?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const ERASE = `mutation ($input: EraseVisitorDataInput!) { eraseVisitorData(input: $input) { __typename
  ... on MutationEraseVisitorDataSuccess { data { chats rowsChanged emailFilesDeleted counts } } ... on AppError { code message field } } }`;
const FIGURES = `query ($day: String!) { dailyFigures(day: $day) { __typename ... on QueryDailyFiguresSuccess { data { chatsStarted chatsFinished offlineMessages visitorMessages ratings averageRating } } } }`;

/** Every live row of every table, as text (PGlite), or the data-only dump (PostgreSQL). */
async function liveRows(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', url], { maxBuffer: 512 * 1024 * 1024 });
    return stdout;
  }
  const prisma = server.app.database.prisma;
  const tables = await prisma.$queryRawUnsafe<{ name: string }[]>(`SELECT tablename AS "name" FROM pg_tables WHERE schemaname = 'public'`);
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS "row" FROM "${name}" t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** The `.eml` files' text as a reader sees it: raw, quoted-printable decoded and base64 parts decoded. */
async function mailText(): Promise<string> {
  const directory = join(dataDir, 'outbox-mail');
  const names = await readdir(directory).catch(() => [] as string[]);
  const texts: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.eml'))) {
    const raw = await readFile(join(directory, name), 'utf8');
    const qp = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    const base64 = [...raw.matchAll(/\n\n([A-Za-z0-9+/=\r\n]{16,})/g)].map((m) =>
      Buffer.from((m[1] ?? '').replace(/\s/g, ''), 'base64').toString('utf8'),
    );
    texts.push(raw, Buffer.from(qp, 'latin1').toString('utf8'), ...base64);
  }
  return texts.join('\n');
}

const countOf = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe('eraseVisitorData', () => {
  it('leaves no trace of the email or the messages in live rows and .eml files, keeps the counts, audits, is idempotent', async () => {
    const seeder = await seedOrganization(server, 'Erasure org');
    const admin = seeder.org.adminToken;
    const olga = await seeder.operator('Olga');
    // Olga gets finished chats and offline messages by email, an EmailTicket addon the finished
    // chats with their transcript (.eml files: DATA_DIR/outbox-mail).
    await seeder.setPreferences(olga, [
      { event: 'ALL_FINISHED_CHAT_SESSIONS', channel: 'EMAIL', enabled: true },
      { event: 'ALL_OFFLINE_MESSAGES', channel: 'EMAIL', enabled: true },
    ]);
    await seeder.addon(['ALL_FINISHED_CHAT_SESSIONS']);
    const widgetId = await seeder.widget();
    const tag = randomUUID().slice(0, 8);
    const email = `visitor-${tag}@example.test`;
    const texts = [`my account number is ${tag}-1234`, `please call me at ${tag}-555`, `offline note from ${tag} visitor`];
    const keptText = `another visitor ${tag} keeps this`;
    const key = seeder.org.apiKey;
    const report = (name: string, input: Record<string, unknown>) =>
      call(
        server,
        `mutation ($input: ${name[0]?.toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { __typename ... on AppError { code message } } }`,
        { input },
        key,
      );
    expect(
      (
        await report('reportChatStarted', {
          chatId: `erase-${tag}`,
          widgetId,
          operatorId: olga,
          visitorName: 'Zelda Quux',
          visitorEmail: email,
        })
      ).__typename,
    ).toMatch(/Success$/);
    await report('reportVisitorMessage', { chatId: `erase-${tag}`, text: texts[0] });
    await report('reportVisitorMessage', { chatId: `erase-${tag}`, text: texts[1] });
    await report('reportChatRated', { chatId: `erase-${tag}`, rating: 4, comment: `rated by ${tag}-comment` });
    await report('reportChatFinished', { chatId: `erase-${tag}`, transcript: [{ from: 'VISITOR', text: texts[0] }] });
    await report('reportOfflineMessage', { widgetId, visitorName: 'Zelda Quux', visitorEmail: email, text: texts[2] });
    await report('reportChatStarted', {
      chatId: `keep-${tag}`,
      widgetId,
      operatorId: olga,
      visitorName: 'Other',
      visitorEmail: `other-${tag}@example.test`,
    });
    await report('reportVisitorMessage', { chatId: `keep-${tag}`, text: keptText });
    const organizationId = seeder.org.organizationId;
    await waitFor(
      async () => (await server.app.database.prisma.delivery.count({ where: { organizationId, status: 'PENDING' } })) === 0,
      'deliveries sent',
    );
    // Before: the data is everywhere the test looks (so the checks below can fail).
    const before = await liveRows();
    const mailBefore = await mailText();
    for (const secret of [email, ...texts]) expect(countOf(before, secret), secret).toBeGreaterThan(0);
    expect(countOf(mailBefore, texts[0] as string)).toBeGreaterThan(0);
    expect(countOf(mailBefore, texts[2] as string)).toBeGreaterThan(0);
    const today = new Date().toISOString().slice(0, 10);
    const figures = async () => (await server.gql<Record<string, unknown>>(FIGURES, { day: today }, admin)).data;
    const countsBefore = await figures();

    const erased = await call(server, ERASE, { input: { email: email.toUpperCase(), chatIds: [`erase-${tag}`] } }, admin);
    expect(erased.__typename, JSON.stringify(erased)).toMatch(/Success$/);
    const outcome = erased.data as { chats: number; rowsChanged: number; emailFilesDeleted: number; counts: Record<string, number> };
    expect(outcome.chats).toBe(1);
    expect(outcome.rowsChanged).toBeGreaterThan(5);
    expect(outcome.emailFilesDeleted).toBeGreaterThan(0);

    const after = await liveRows();
    for (const secret of [email, ...texts, `${tag}-comment`]) expect(countOf(after, secret), secret).toBe(0);
    expect(countOf(after.toLowerCase(), email.toLowerCase())).toBe(0);
    const mailAfter = await mailText();
    for (const secret of [email, ...texts]) expect(countOf(mailAfter, secret), secret).toBe(0);
    // The other visitor's chat is untouched; analytics counts are the same.
    expect(countOf(after, keptText)).toBeGreaterThan(0);
    expect(await figures()).toEqual(countsBefore);
    // Audited: who, when, how many; nothing personal.
    const records = await server.app.database.prisma.erasureRecord.findMany({ where: { organizationId } });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ requestedById: seeder.org.adminId });
    expect(JSON.stringify(records[0])).not.toContain(tag);
    // Idempotent: again, nothing left to change.
    const again = await call(server, ERASE, { input: { email, chatIds: [`erase-${tag}`] } }, admin);
    expect(again.data).toMatchObject({ rowsChanged: 0, emailFilesDeleted: 0 });
  });

  it('a delivery still queued goes out without the erased fields', async () => {
    const seeder = await seedOrganization(server, 'Queued erasure org');
    const widgetId = await seeder.widget();
    const path = `/erase-${seeder.org.organizationId}`;
    const CREATE_ADDON = `mutation ($input: CreateAddonInput!) { createAddon(input: $input) { __typename ... on AppError { code message } } }`;
    const created = await call(
      server,
      CREATE_ADDON,
      {
        input: {
          kind: 'WEBHOOK',
          name: 'Hook',
          events: ['ALL_OFFLINE_MESSAGES'],
          config: { webhook: { url: `${http.url}${path}`, secret: 'a-webhook-secret-of-enough-length' } },
        },
      },
      seeder.org.adminToken,
    );
    expect(created.__typename).toMatch(/Success$/);
    const tag = randomUUID().slice(0, 8);
    const email = `queued-${tag}@example.test`;
    const text = `queued message ${tag} with details`;
    http.status = 500; // the first attempt fails: the delivery waits for its retry
    await call(
      server,
      `mutation ($input: ReportOfflineMessageInput!) { reportOfflineMessage(input: $input) { __typename } }`,
      {
        input: { widgetId, visitorEmail: email, visitorName: 'Queued Visitor', text },
      },
      seeder.org.apiKey,
    );
    const organizationId = seeder.org.organizationId;
    await waitFor(
      async () => (await server.app.database.prisma.delivery.findFirst({ where: { organizationId, attempts: { gte: 1 } } })) !== null,
      'a failed attempt',
    );
    const erased = await call(server, ERASE, { input: { email } }, seeder.org.adminToken);
    expect(erased.data).toMatchObject({ chats: 0 });
    http.status = 200;
    const [request] = await waitFor(
      () => {
        const got = http.requests.filter((r) => r.path === path);
        return got.length > 0 && got;
      },
      'the retried webhook',
      15_000,
    );
    expect(request?.json).toMatchObject({ event: 'offline_message.receive' });
    expect(request?.body).not.toContain(email);
    expect(request?.body).not.toContain(text);
  });

  it('is for admins only, and needs an email or chat ids', async () => {
    const seeder = await seedOrganization(server, 'Erasure refusals');
    const operatorToken = await seeder.token(await seeder.operator('Otto'));
    expect(await call(server, ERASE, { input: { email: 'a@b.test' } }, operatorToken)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await call(server, ERASE, { input: {} }, seeder.org.adminToken)).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await call(server, ERASE, { input: { chatIds: ['x'.repeat(300)] } }, seeder.org.adminToken)).toMatchObject({ code: 'TOO_LONG' });
  });
});
