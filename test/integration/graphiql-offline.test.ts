/**
 * GraphiQL offline (issue 9, part 4), over HTTP: `/graphql` asked for HTML answers a page whose
 * every script, stylesheet, worker and icon URL is the service's own, and each of them answers 200
 * with its content type. Nothing comes from a CDN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('GraphiQL', () => {
  it('is a page whose assets all come from the service and answer 200', async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).not.toMatch(/unpkg|jsdelivr|cdn/i);
    // Every URL the page names: src/href attributes and the worker URLs in its inline script.
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"|'(\/graphiql\/[^']+)'/g)].map((m) => m[1] ?? m[2] ?? '');
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) expect(url, url).toMatch(/^\/graphiql\/[0-9a-f]{12}\/[a-z.]+$/);
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);

    const expectedType = (url: string) => (url.endsWith('.js') ? /javascript/ : url.endsWith('.css') ? /text\/css/ : /image/);
    for (const url of new Set(urls)) {
      const asset = await fetch(new URL(url, server.url));
      expect(asset.status, url).toBe(200);
      expect(asset.headers.get('content-type'), url).toMatch(expectedType(url));
      expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(1000);
    }
    const bundle = await (await fetch(new URL(scripts[0] ?? '', server.url))).text();
    expect(bundle).toContain('renderYogaGraphiQL');
    expect((await fetch(`${server.url}/graphiql/000000000000/graphiql.js`)).status).toBe(404);
  });
});
