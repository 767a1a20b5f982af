/**
 * npx tsx scripts/profile-diff.ts <service.cpuprofile> <service requests> <baseline.cpuprofile>
 * <baseline requests> [top=40]: two profiles side by side in µs of self time PER REQUEST, sorted by
 * what the first adds over the second. bench:compare with BENCH_PROFILE writes both: the service's
 * `<section>.0.cpuprofile` and its adjacent baseline's `<section>.baseline.cpuprofile`; the request
 * counts are the printed req/s times the section's seconds (5 and 2 by default).
 *
 * Functions the JIT inlined are counted in their caller (a large `fakePromise` is the hooks it calls).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Profile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

const [serviceFile, serviceRequests, baselineFile, baselineRequests, topArg] = process.argv.slice(2);
if (!serviceFile || !baselineFile) throw new Error('usage: profile-diff.ts <a.cpuprofile> <a requests> <b.cpuprofile> <b requests> [top]');
const top = Number(topArg ?? 40);

/** A package, a source file under src/, a node: module, or a native pseudo-function. */
function originOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const inPackage = frame.url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  if (inPackage?.[1]) return inPackage[1];
  if (frame.url.includes('/src/')) return `src/${frame.url.split('/src/')[1]}`;
  return frame.url;
}
const functionOf = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} ${originOf(frame)}:${frame.lineNumber + 1}`;

/** Self time (µs) per key. */
function selfTime(file: string, key: (frame: CallFrame) => string): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    if (!frame) return;
    const k = key(frame);
    totals.set(k, (totals.get(k) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  return totals;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);
for (const [label, key] of [
  ['origin', originOf],
  ['function', functionOf],
] as const) {
  const a = selfTime(serviceFile, key);
  const b = selfTime(baselineFile, key);
  const na = Number(serviceRequests);
  const nb = Number(baselineRequests);
  const rows = [...new Set([...a.keys(), ...b.keys()])]
    .map((k) => ({ k, x: (a.get(k) ?? 0) / na, y: (b.get(k) ?? 0) / nb }))
    .sort((p, q) => q.x - q.y - (p.x - p.y));
  console.log(`\n== by ${label}: µs per request (idle included), first ${(sum(a) / na).toFixed(0)}, second ${(sum(b) / nb).toFixed(0)} ==`);
  console.log(`${'added'.padStart(8)} ${'first'.padStart(8)} ${'second'.padStart(8)}`);
  for (const { k, x, y } of rows.slice(0, top))
    console.log(`${(x - y).toFixed(1).padStart(8)} ${x.toFixed(1).padStart(8)} ${y.toFixed(1).padStart(8)}  ${k}`);
}
