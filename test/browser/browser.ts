/**
 * Real Chromium for the console tests: Debian's /usr/bin/chromium driven by playwright-core (no
 * browser is ever downloaded), one browser per test file, a fresh profile per launch. Pages get
 * hooks a person's eyes and ears stand for: every `new Notification(…)` is recorded, and the
 * console's sound player logs each sound it plays.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(process.cwd(), 'test-output', 'browser');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// Runs in the page before its own scripts: wraps the Notification constructor to record each call.
const NOTIFICATION_HOOK = `{
  window.__notifications = [];
  const Real = window.Notification;
  function Recorded(title, options) {
    window.__notifications.push({ title, body: options && options.body, tag: options && options.tag });
    return new Real(title, options);
  }
  Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  Recorded.prototype = Real.prototype;
  window.Notification = Recorded;
}`;

export interface ConsolePage {
  page: Page;
  /** Names of the sounds the console played, in order. */
  sounds: string[];
  /** Names of the sounds the browser did not let it play. */
  blockedSounds: string[];
  /** Every desktop notification the console created. */
  notifications(): Promise<{ title: string; body: string; tag: string }[]>;
  unread(): Promise<string | null>;
  screenshot(name: string): Promise<string>;
}

// Desktop Chrome's autoplay rule for Web Audio, which headless Chromium does not apply (its
// AudioContext runs at once, with or without --autoplay-policy): until the page's first real click
// or key press, a context stays 'suspended' and resume() does not settle. Playwright's own
// evaluations count as user activations, so navigator.userActivation follows real input events only.
const AUTOPLAY_RULE = `{
  let activated = false;
  for (const type of ['pointerdown', 'keydown']) addEventListener(type, (e) => { if (e.isTrusted) activated = true; }, true);
  Object.defineProperty(navigator, 'userActivation', { get: () => ({ hasBeenActive: activated, isActive: activated }) });
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    get state() { return activated ? super.state : 'suspended'; }
    resume() { return activated ? super.resume() : new Promise(() => {}); }
  };
}`;

/** A context where desktop notifications are allowed for the service's origin. */
export async function consoleContext(browser: Browser, url: string, options: { autoplayRule?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['notifications'], { origin: url });
  await context.addInitScript({ content: NOTIFICATION_HOOK });
  if (options.autoplayRule) await context.addInitScript({ content: AUTOPLAY_RULE });
  return context;
}

/** Opens /console with the token handed over in the URL fragment, and waits until its stream is live. */
export async function openConsole(context: BrowserContext, url: string, token: string): Promise<ConsolePage> {
  const page = await context.newPage();
  const sounds: string[] = [];
  const blockedSounds: string[] = [];
  page.on('console', (message) => {
    const [, outcome, name] = /^sound (played|blocked): (.+)$/.exec(message.text()) ?? [];
    if (name) (outcome === 'played' ? sounds : blockedSounds).push(name);
  });
  await page.goto(`${url}/console#token=${encodeURIComponent(token)}`);
  await page
    .getByTestId('status')
    .filter({ hasText: /^live$/ })
    .waitFor();
  return {
    page,
    sounds,
    blockedSounds,
    notifications: () => page.evaluate('window.__notifications'),
    unread: () => page.getByTestId('unread-badge').textContent(),
    async screenshot(name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}
