/**
 * GraphiQL in a real Chromium with no internet (issue 9, part 4): every request leaving loopback is
 * aborted, and the page still renders its editor and runs a query. Debian's /usr/bin/chromium,
 * driven by playwright-core (nothing downloaded). A screenshot goes to test-output/browser/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SCREENSHOTS = join(process.cwd(), 'test-output', 'browser');
let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  server = await startTestServer();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('GraphiQL offline', { timeout: 120_000 }, () => {
  it('renders and runs a query with every non-loopback request refused', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    const failed: string[] = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'blob:' || url.protocol === 'data:' || url.hostname === '127.0.0.1') return route.continue();
      outside.push(url.href);
      return route.abort('internetdisconnected');
    });
    page.on('requestfailed', (request) => failed.push(request.url()));
    await page.goto(`${server.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { waitUntil: 'load' });
    await page.locator('.graphiql-container').first().waitFor({ timeout: 60_000 });
    await page.locator('.graphiql-execute-button').first().click();
    // Monaco renders spaces as no-break spaces.
    const result = async () => ((await page.locator('.result-window').first().textContent()) ?? '').replace(/\u00a0/g, ' ');
    await expect.poll(result, { timeout: 30_000 }).toContain('"__typename": "Query"');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql-offline.png') });
    expect(outside).toEqual([]);
    expect(failed).toEqual([]);
    expect(await page.title()).not.toMatch(/Loading/);
    await page.close();
  });
});
