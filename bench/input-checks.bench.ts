/**
 * npx tsx bench/input-checks.bench.ts — what the argument checks (lengths, global ids; issue 7)
 * cost on the largest input the API takes: a 500-happening `reportHappenings` batch with 2,000-
 * character texts and global ids. Baseline in the same run: JSON.parse(JSON.stringify(batch)), the
 * work the HTTP layer already does once per request. Prints, never asserts.
 */
import { performance } from 'node:perf_hooks';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { checkArguments } from '../src/graphql/input-checks-plugin.js';
import { schema } from '../src/graphql/schema.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const widgetId = encodeGlobalID('Widget', crypto.randomUUID());
const operatorId = encodeGlobalID('Operator', crypto.randomUUID());
const text = 'x'.repeat(2_000);
const happenings = Array.from({ length: 500 }, (_, i) =>
  i % 5 === 0
    ? {
        chatStarted: {
          chatId: `c${i}`,
          widgetId,
          operatorId,
          visitorName: 'Vera',
          visitorEmail: 'v@example.test',
          idempotencyKey: `k${i}`,
        },
      }
    : i % 5 === 1
      ? {
          chatFinished: {
            chatId: `c${i}`,
            summary: text,
            transcript: Array.from({ length: 20 }, () => ({ from: 'VISITOR', text: 'hello' })),
          },
        }
      : { visitorMessage: { chatId: `c${i}`, text, idempotencyKey: `k${i}` } },
);
const args = { input: { happenings } };

function perCall(label: string, run: () => unknown): number {
  for (let i = 0; i < 20; i++) run();
  let calls = 0;
  const start = performance.now();
  const until = start + SECONDS * 1000;
  while (performance.now() < until) {
    run();
    calls++;
  }
  const ms = (performance.now() - start) / calls;
  console.log(`${label.padEnd(46)} ${ms.toFixed(3)} ms per batch (${calls} runs)`);
  return ms;
}

console.log(`== argument checks on a 500-happening batch (${(JSON.stringify(args).length / 1024).toFixed(0)} KiB) ==`);
const baseline = perCall('baseline: JSON.parse(JSON.stringify(batch))', () => JSON.parse(JSON.stringify(args)));
const checks = perCall('checkArguments (lengths + global ids)', () => checkArguments(args, schema, 'Mutation', 'reportHappenings'));
console.log(`ratio checks / baseline: ${(checks / baseline).toFixed(2)}`);
