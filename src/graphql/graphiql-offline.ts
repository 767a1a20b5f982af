/**
 * GraphiQL without the internet (issue 9, part 4): yoga's default page loads its scripts from a
 * CDN, so offline it stays "Loading…". The page here is small and loads everything from the service
 * itself: the GraphiQL bundle, its stylesheet, Monaco's workers and the icon, all taken from the
 * installed `@graphql-yoga/render-graphiql` package and served under `/graphiql/<content hash>/`
 * (cached for good by browsers: a new package version is a new hash). The ~9 MB bundle is loaded on
 * the first GraphiQL request only, never in production (GraphiQL is off there).
 */
import { createHash } from 'node:crypto';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

const PREFIX = '/graphiql/';

interface Asset {
  body: string | Uint8Array<ArrayBuffer>;
  type: string;
}
interface Assets {
  base: string;
  files: Map<string, Asset>;
}

let loading: Promise<Assets> | undefined;

function loadAssets(): Promise<Assets> {
  loading ??= import('@graphql-yoga/render-graphiql/graphiql').then((bundle) => {
    const js = 'application/javascript; charset=utf-8';
    const favicon = bundle.favicon.startsWith('data:')
      ? new Uint8Array(Buffer.from(bundle.favicon.split(',')[1] ?? '', 'base64'))
      : bundle.favicon;
    const files = new Map<string, Asset>([
      ['graphiql.js', { body: bundle.js, type: js }],
      ['graphiql.css', { body: bundle.css, type: 'text/css; charset=utf-8' }],
      ['editor.worker.js', { body: bundle.editorWorkerService, type: js }],
      ['json.worker.js', { body: bundle.jsonWorker, type: js }],
      ['graphql.worker.js', { body: bundle.graphqlWorker, type: js }],
      ['favicon.ico', { body: favicon, type: 'image/x-icon' }],
    ]);
    const hash = createHash('sha256');
    for (const { body } of files.values()) hash.update(body);
    return { base: `${PREFIX}${hash.digest('hex').slice(0, 12)}/`, files };
  });
  return loading;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside a <script>: `</script>` and friends cannot end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** yoga's `renderGraphiQL`: the page, with every script and style from this service. */
export async function renderOfflineGraphiQL(options: GraphiQLOptions = {}): Promise<string> {
  const { base } = await loadAssets();
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${base}favicon.ico" />
    <link rel="stylesheet" href="${base}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
    <script>
      self.MonacoEnvironment = {
        globalAPI: false,
        getWorkerUrl: (_moduleId, label) =>
          ({ editorWorkerService: '${base}editor.worker.js', json: '${base}json.worker.js', graphql: '${base}graphql.worker.js' })[label],
      };
    </script>
    <script src="${base}graphiql.js"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>`;
}

/** Serves the assets the page names; other paths pass through (synchronously: every request asks). */
export function useGraphiQLAssets(): Plugin {
  const serve = async (pathname: string, endResponse: (response: Response) => void, fetchAPI: { Response: typeof Response }) => {
    const { base, files } = await loadAssets();
    const asset = pathname.startsWith(base) ? files.get(pathname.slice(base.length)) : undefined;
    if (!asset) {
      endResponse(new fetchAPI.Response('Not found', { status: 404 }));
      return;
    }
    const headers = { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' };
    endResponse(new fetchAPI.Response(asset.body, { status: 200, headers }));
  };
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname.startsWith(PREFIX)) return serve(url.pathname, endResponse, fetchAPI);
    },
  };
}
