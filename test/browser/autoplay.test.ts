/**
 * Chrome's autoplay rule: on a page nobody interacted with, Web Audio stays suspended, so the
 * console cannot play a sound until the person clicks. It says so, and the first click lets the
 * next sound through. Headless Chromium does not apply the rule to Web Audio (even with
 * --autoplay-policy=user-gesture-required), so a page hook (browser.ts) applies it as desktop
 * Chrome does: suspended, and resume() unsettled, until the page's first user activation.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedOrganization } from '../helpers/seed.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { eventually } from '../streams/stream-client.js';
import { consoleContext, launchChromium, openConsole } from './browser.js';

let browser: Browser;
let server: TestServer;
beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), startTestServer()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it('says sound is blocked until the first click, then plays', { timeout: 60_000 }, async () => {
  const seeder = await seedOrganization(server, 'Autoplay org');
  const operatorId = await seeder.operator('Olga');
  const [token, widgetId] = await Promise.all([seeder.token(operatorId), seeder.widget()]);
  const startChat = async (chatId: string) => {
    const answer = await server.gql<{ reportChatStarted: { __typename: string } }>(
      'mutation ($input: ReportChatStartedInput!) { reportChatStarted(input: $input) { __typename } }',
      { input: { chatId, widgetId, operatorId } },
      seeder.org.apiKey,
    );
    expect(answer.data?.reportChatStarted.__typename).toMatch(/Success$/);
  };
  const context = await consoleContext(browser, server.url, { autoplayRule: true });
  const olga = await openConsole(context, server.url, token);
  const banner = olga.page.getByTestId('sound-blocked');
  await banner.waitFor();
  await expect(banner.textContent()).resolves.toMatch(/Sound is blocked by your browser/);
  await eventually(
    () => server.gql<{ streamsInEffect: { streams: unknown[] } }>('query { streamsInEffect { streams { id } } }', {}, token),
    (r) => (r.data?.streamsInEffect.streams.length ?? 0) === 1,
  );

  await startChat('before-click');
  await eventually(
    async () => olga.blockedSounds,
    (s) => s.length === 1,
  );
  expect(olga.sounds).toEqual([]);
  await olga.page.getByTestId('feed-item').filter({ hasText: 'sound blocked by the browser' }).waitFor();
  await expect(olga.notifications()).resolves.toHaveLength(1); // the banner is not subject to autoplay
  await olga.screenshot('autoplay-blocked');

  await banner.getByRole('button', { name: 'Enable sound' }).click();
  await banner.waitFor({ state: 'hidden' });
  await startChat('after-click');
  await eventually(
    async () => olga.sounds,
    (s) => s.length === 1,
  );
  expect(olga.sounds).toEqual(['new-chat']);
  await context.close();
});
