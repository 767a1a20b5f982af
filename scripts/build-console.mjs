// Builds the operator console (web/ → web/dist/, served at /console): one esbuild bundle of
// web/src/main.ts plus the page and its stylesheet. Run by scripts/setup.mjs when web/dist is
// missing or older than its sources; `node scripts/build-console.mjs` forces a build.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

mkdirSync('web/dist', { recursive: true });
await build({
  entryPoints: ['web/src/main.ts'],
  outfile: 'web/dist/console.js',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
for (const file of ['index.html', 'console.css']) copyFileSync(`web/${file}`, `web/dist/${file}`);
console.log('console built in web/dist');
