/**
 * The operator console in a real Chromium (issue 9): what a person would see and hear. A happening
 * reported through the API appears, with a desktop notification and its sound; a read in one tab
 * clears the badge in the other; a server closing the socket mid-flow loses nothing and repeats
 * nothing; a Chat Panel change silences the next sound at once; an admin's widget switch governs
 * the operator's next item. Each test saves a screenshot under test-output/browser/.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Seeder, seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { eventually, pause } from '../streams/stream-client.js';
import { type ConsolePage, consoleContext, launchChromium, openConsole } from './browser.js';

let browser: Browser;
let server: TestServer;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startTestServer({ config: { presenceGraceMs: 60_000 } })]);
});
afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

async function newContext(on: TestServer = server) {
  const context = await consoleContext(browser, on.url);
  contexts.push(context);
  return context;
}

const START = /* GraphQL */ `
  mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename ... on AppError { code message } } }
`;
const SYSTEM = /* GraphQL */ `
  mutation ($input: ReportSystemMessageInput!) { reportSystemMessage(input: $input) { __typename ... on AppError { code message } } }
`;

interface Org {
  seeder: Seeder;
  widgetId: string;
  operator: { id: string; token: string };
  startChat(chatId: string, on?: TestServer): Promise<void>;
  systemMessage(title: string, on?: TestServer): Promise<void>;
  /** Resolves once the operator has `count` open streams on the server. */
  streamsOpen(count: number, on?: TestServer): Promise<void>;
}

async function organization(name: string): Promise<Org> {
  const seeder = await seedOrganization(server, name);
  const operatorId = await seeder.operator('Olga');
  const [token, widgetId] = await Promise.all([seeder.token(operatorId), seeder.widget({ name: 'Website' })]);
  const report = async (on: TestServer, document: string, input: object) => {
    const answer = await on.gql<Record<string, { __typename: string }>>(document, { input }, seeder.org.apiKey);
    expect(Object.values(answer.data ?? {})[0]?.__typename, JSON.stringify(answer)).toMatch(/Success$/);
  };
  return {
    seeder,
    widgetId,
    operator: { id: operatorId, token },
    startChat: (chatId, on = server) => report(on, START, { chatId, widgetId, operatorId, idempotencyKey: chatId }),
    systemMessage: (title, on = server) => report(on, SYSTEM, { title, body: `About ${title}` }),
    async streamsOpen(count, on = server) {
      await eventually(
        () => on.gql<{ streamsInEffect: { streams: unknown[] } }>('query { streamsInEffect { streams { id } } }', {}, token),
        (r) => (r.data?.streamsInEffect.streams.length ?? 0) >= count,
      );
    },
  };
}

const feedTitles = (c: ConsolePage) => c.page.getByTestId('feed-item').locator('strong').allInnerTexts();

describe('the operator console', () => {
  it('shows a reported happening, raises a desktop notification and plays its sound', async () => {
    const org = await organization('Console org');
    const olga = await openConsole(await newContext(), server.url, org.operator.token);
    expect(olga.page.url()).not.toContain('token=');
    await expect(olga.page.getByTestId('notification-permission').textContent()).resolves.toBe('Desktop notifications on');
    await org.streamsOpen(1);

    await org.startChat('chat-1');
    const item = olga.page.getByTestId('feed-item').first();
    await item.waitFor();
    await expect(item.textContent()).resolves.toMatch(/New chat/i);
    await eventually(
      async () => olga.sounds,
      (s) => s.length === 1,
    );
    expect(olga.sounds).toEqual(['new-chat']);
    const [shown] = await olga.notifications();
    expect(shown?.title).toMatch(/chat/i);
    await expect(olga.unread()).resolves.toBe('1');

    // "Why did I get this?": explainEvent, per channel, for this operator.
    await item.getByRole('button', { name: 'Why?' }).click();
    const why = olga.page.getByTestId('explanation');
    await why.locator('[data-channel="BROWSER"]').waitFor();
    await expect(why.textContent()).resolves.toMatch(/Browser: delivered/);
    await olga.screenshot('1-happening-notified');
  });

  it('a read in tab A clears the badge in tab B', async () => {
    const org = await organization('Two tabs org');
    const context = await newContext();
    const tabA = await openConsole(context, server.url, org.operator.token);
    const tabB = await openConsole(context, server.url, org.operator.token);
    await org.streamsOpen(2);
    await org.systemMessage('Maintenance tonight');
    await org.systemMessage('New release');
    for (const tab of [tabA, tabB])
      await eventually(
        () => tab.unread(),
        (n) => n === '2',
      );

    await tabA.page.getByTestId('inbox-item').first().getByRole('button', { name: 'Mark read' }).click();
    await eventually(
      () => tabB.unread(),
      (n) => n === '1',
    );
    await tabA.page.getByTestId('mark-all-read').click();
    await eventually(
      () => tabB.unread(),
      (n) => n === '0',
    );
    await expect(tabB.page.getByTestId('inbox-item').evaluateAll((items) => items.map((i) => i.className))).resolves.toEqual([
      'read',
      'read',
    ]);
    await expect(tabB.page.title()).resolves.toBe('Operator console');
    await tabB.screenshot('2-read-in-other-tab');
  });

  it('a Chat Panel change takes effect at once: the chosen sound, then silence', async () => {
    const org = await organization('Chat Panel org');
    const olga = await openConsole(await newContext(), server.url, org.operator.token);
    await org.streamsOpen(1);
    const row = olga.page.getByTestId('chat-panel-grid').locator('tr[data-event="NEW_CHAT_SESSION"]');
    const message = olga.page.getByTestId('preferences-message');

    await row.locator('select').selectOption('bell');
    await message.filter({ hasText: 'in effect on your open streams now' }).waitFor();
    await eventually(
      async () => olga.sounds,
      (s) => s.includes('bell'),
    ); // the preview
    await org.startChat('chat-bell');
    await eventually(
      async () => olga.sounds,
      (s) => s.length === 2,
    );
    expect(olga.sounds).toEqual(['bell', 'bell']);

    await row.locator('input[data-channel="AUDIO"]').uncheck();
    await eventually(
      () => row.getByTestId('in-effect').textContent(),
      (text) => text === 'banner',
    );
    await org.startChat('chat-silent');
    await eventually(
      () => feedTitles(olga),
      (titles) => titles.length === 2,
    );
    await pause(300);
    expect(olga.sounds).toEqual(['bell', 'bell']);
    await expect(olga.notifications()).resolves.toHaveLength(2);
    await olga.screenshot('3-chat-panel-silenced');
  });

  it("an admin switches a widget's browser notifications off and the operator's next item obeys", async () => {
    const org = await organization('Widget org');
    const olga = await openConsole(await newContext(), server.url, org.operator.token);
    const admin = await openConsole(await newContext(), server.url, org.seeder.org.adminToken);
    await org.streamsOpen(1);
    const browserSwitch = admin.page.getByTestId('widgets').locator('tr[data-widget="Website"]').getByTestId('widget-browser');
    await browserSwitch.uncheck();
    await admin.page.getByText('Saved.').waitFor();
    await expect(browserSwitch.isChecked()).resolves.toBe(false);

    // Other items reach Olga too (the admin came online, the widget changed): only new chats count here.
    const newChats = async () => (await olga.notifications()).filter((n) => n.title.startsWith('New chat with'));
    await org.startChat('chat-muted');
    const item = olga.page.getByTestId('feed-item').filter({ hasText: 'New chat with' }).first();
    await item.waitFor();
    // The widget mutes the banner (and the inbox entry); the sound is the operator's own choice and still plays.
    await eventually(
      async () => olga.sounds,
      (s) => s.length === 1,
    );
    await expect(item.textContent()).resolves.not.toMatch(/banner/);
    await expect(newChats()).resolves.toEqual([]);
    await expect(olga.page.getByTestId('inbox-item').filter({ hasText: 'New chat with' }).count()).resolves.toBe(0);

    await browserSwitch.check();
    await admin.page.getByText('Saved.').waitFor();
    await org.startChat('chat-shown');
    await eventually(newChats, (shown) => shown.length === 1);
    await expect(olga.page.getByTestId('inbox-item').filter({ hasText: 'New chat with' }).count()).resolves.toBe(1);
    await admin.screenshot('4-admin-widget-switch');
    await olga.screenshot('4-operator-after-switch');
  });
});

describe('serving /console', () => {
  it('serves the built page and bundle under a same-origin policy, and nothing else under /console', async () => {
    const page = await fetch(`${server.url}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    await expect(page.text()).resolves.toContain('/console/console.js');
    const bundle = await fetch(`${server.url}/console/console.js`);
    expect([bundle.status, bundle.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    for (const path of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/index.ts', '/console/dist/console.js']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
  });
});

describe('the console across a server restart', () => {
  it('the server closing the socket mid-flow loses nothing, and nothing arrives twice', async () => {
    const first = await startTestServer({ config: { presenceGraceMs: 60_000, shutdownGraceMs: 1000 } });
    const port = Number(new URL(first.url).port);
    const database = first.app.database;
    let restarted: TestServer | null = null;
    const other = await startTestServer({ database, config: { presenceGraceMs: 60_000 } });
    try {
      const admin = await first.newOrganization('Restart org');
      const olga = await openConsole(await newContext(first), first.url, admin.adminToken);
      const report = async (on: TestServer, title: string) => {
        const answer = await on.gql<{ reportSystemMessage: { __typename: string } }>(
          SYSTEM,
          { input: { title, body: title } },
          admin.apiKey,
        );
        expect(answer.data?.reportSystemMessage.__typename).toMatch(/Success$/);
      };
      await eventually(
        () => first.gql<{ streamsInEffect: { streams: unknown[] } }>('query { streamsInEffect { streams { id } } }', {}, admin.adminToken),
        (r) => (r.data?.streamsInEffect.streams.length ?? 0) === 1,
      );
      await report(first, 'one');
      await report(first, 'two');
      await eventually(
        () => feedTitles(olga),
        (t) => t.length === 2,
      );

      await first.app.stop(); // closes every socket (1001) and stops listening
      await olga.page.getByTestId('status').filter({ hasText: 'reconnecting…' }).waitFor();
      await report(other, 'three'); // stored by another instance while this page has no socket
      await report(other, 'four');
      await olga.screenshot('5-reconnecting');
      restarted = await startTestServer({ database, port, config: { presenceGraceMs: 60_000 } });
      await olga.page
        .getByTestId('status')
        .filter({ hasText: /^live$/ })
        .waitFor({ timeout: 20_000 });
      await report(restarted, 'five');
      await eventually(
        () => feedTitles(olga),
        (t) => t.length >= 5,
      );
      await pause(300);
      expect(await feedTitles(olga)).toEqual(['five', 'four', 'three', 'two', 'one']);
      const missed = await olga.page
        .getByTestId('feed-item')
        .filter({ hasText: 'missed while reconnecting' })
        .locator('strong')
        .allInnerTexts();
      expect(missed).toEqual(['four', 'three']);
      await expect(olga.unread()).resolves.toBe('5');
      await olga.screenshot('5-after-restart');
    } finally {
      await other.stop();
      await restarted?.app.stop();
      await database.close();
    }
  });

  it('shows what arrived while the operator was away first when they come back (E7), and replays it', async () => {
    const org = await organization('Catch-up org');
    const olga = await openConsole(await newContext(), server.url, org.operator.token);
    await org.streamsOpen(1);
    const presence = (value: string) =>
      server.gql('mutation ($p: Presence!) { setMyPresence(presence: $p) { __typename } }', { p: value }, org.operator.token);
    await presence('AWAY');
    await org.systemMessage('while-away');
    await eventually(
      () => feedTitles(olga),
      (t) => t.includes('while-away'),
    );
    await presence('ONLINE');
    const box = olga.page.getByTestId('catch-up');
    await box.getByTestId('catch-up-chat').waitFor();
    await expect(box.textContent()).resolves.toMatch(/While you were away \(since .*\): 1 unread/);
    await expect(box.getByTestId('catch-up-chat').allInnerTexts()).resolves.toEqual(['Other: 1 × System message']);
    await olga.screenshot('6-catch-up');
    // It was shown live already: the replay adds nothing twice.
    await box.getByRole('button', { name: 'Replay them' }).click();
    await box.getByText('Caught up: 0 replayed below.').waitFor();
    expect(await feedTitles(olga)).toEqual(['while-away']);
  });
});
