/**
 * npx tsx scripts/profile-summary.ts <file.cpuprofile> [top=25]: where a `node --cpu-prof` profile
 * spends its time, as text (the figures docs/capacity.md quotes). Prints self time by function, by
 * package or source file, and the inclusive time of the service's own functions (src/).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
const busy = total - idle;

/** Where a frame comes from: a package name, a src/ file, or node's internals. */
function origin(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  if (url.startsWith('node:')) return url;
  return url.split('/').slice(-2).join('/');
}
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${origin(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

function table(title: string, rows: Map<string, number>) {
  console.log(`\n${title}`);
  for (const [name, t] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((t / busy) * 100).toFixed(1).padStart(6)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${name}`);
}

const selfByFunction = new Map<string, number>();
const selfByOrigin = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id);
  if (!n || n.callFrame.functionName === '(idle)') continue;
  selfByFunction.set(label(n), (selfByFunction.get(label(n)) ?? 0) + t);
  selfByOrigin.set(origin(n.callFrame.url), (selfByOrigin.get(origin(n.callFrame.url)) ?? 0) + t);
  // Inclusive time of src/ functions, each counted once per sample stack.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at);
    if (!frame?.callFrame.url.includes('/src/')) continue;
    const name = label(frame);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + t);
  }
}
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy)`);
table('self time by function', selfByFunction);
table('self time by origin', selfByOrigin);
table('inclusive time of src/ functions', inclusive);
