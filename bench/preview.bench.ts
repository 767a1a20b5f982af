/**
 * npm run bench:preview — the impact preview of a settings change (extensions.md E3). Prints, never
 * asserts. Target: 1,000 operators × every event × 3 channels previewed in under 100 ms.
 *
 * An organization of 1,000 operators (product-default preferences, half in the widget's group,
 * some admin locks, ten in quiet time) on an in-memory PGlite database. The change previewed is the
 * worst case: switching off the role every operator has, which touches every operator on every
 * event, so all 19 × 1,000 × 3 cells are decided before and after. Figures, median of BENCH_RUNS
 * (default 30) after a warm-up:
 *  - baseline: one plain engine pass over the same cells (decideReasons, every event, every
 *    operator): the floor any preview must pay twice (before and after);
 *  - the pure preview (domain/preview-settings-change.ts) on the settings snapshot;
 *  - the service (previewSettingsChangeFor): the settings version read, the role check, the cached
 *    snapshot, quiet time at the moment, and the preview — what the GraphQL field runs.
 */
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/database.js';
import { NOTIFICATION_EVENTS, OPERATOR_CHANNELS } from '../src/domain/catalog.js';
import { decideReasons } from '../src/domain/decide-notifications.js';
import { previewSettingsChange } from '../src/domain/preview-settings-change.js';
import { loadOrganizationSettings } from '../src/services/ingestion/load-organization-settings.js';
import { previewSettingsChangeFor } from '../src/services/preview-settings-change.js';
import { seedOrganization } from './seed-organization.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const OPERATORS = 1_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
async function measure(run: () => unknown): Promise<number> {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

const database = await openDatabase({ dataDir: 'memory://' });
const prisma = database.prisma;
const seeded = await seedOrganization(prisma, 'bench-secret', OPERATORS);
const { organizationId, operatorIds, widgetId } = seeded;
const role = await prisma.role.findFirstOrThrow({ where: { organizationId, isAdmin: false } });
// Everyone on the same role, so switching it off touches all 1,000.
await prisma.operator.updateMany({ where: { organizationId }, data: { roleId: role.id } });
await prisma.adminLock.createMany({
  data: [
    { organizationId, scopeKey: 'ORGANIZATION', event: 'ALL_CHAT_RATINGS', channel: 'BROWSER', value: 'FORBIDDEN' },
    { organizationId, roleId: role.id, scopeKey: role.id, event: 'NEW_CHAT_SESSION', channel: 'AUDIO', value: 'REQUIRED' },
  ],
});
const dnd = new Date(Date.now() + 3_600_000);
await prisma.operatorQuietTime.createMany({
  data: operatorIds
    .slice(0, 10)
    .map((operatorId) => ({ operatorId, organizationId, timeZone: 'UTC', windows: [], doNotDisturbUntil: dnd })),
});

const settings = await loadOrganizationSettings(prisma, organizationId);
if (settings === null) throw new Error('no settings');
const widget = settings.widgets.get(widgetId) ?? null;
const quiet = settings.quietOperatorsAt(new Date());
const cellsPerPass = NOTIFICATION_EVENTS.length * settings.operators.length * OPERATOR_CHANNELS.length;

const baseline = await measure(() => {
  for (const kind of NOTIFICATION_EVENTS)
    decideReasons(
      { kind, widgetId: widget?.id ?? null, subjectOperatorId: null },
      { operators: settings.operatorSettingsFor(kind), widget, addons: [], quietOperatorIds: quiet },
      OPERATOR_CHANNELS,
    );
});
const change = { kind: 'ROLE_SWITCH' as const, roleId: role.id, notificationsEnabled: false };
let changed = 0;
const pure = await measure(() => {
  changed = previewSettingsChange(
    {
      operatorSettingsFor: settings.operatorSettingsFor,
      roleOf: (id) => settings.operatorsById.get(id)?.roleId,
      locks: settings.locks,
      widget,
      quietOperatorIds: quiet,
    },
    change,
  ).length;
});
let serviceChanged = 0;
const service = await measure(async () => {
  serviceChanged = (
    await previewSettingsChangeFor(prisma, organizationId, { updateRole: { id: role.id, notificationsEnabled: false } }, widgetId)
  ).cells.length;
});

const fmt = (n: number) => n.toFixed(2);
console.log(
  `\n== impact preview: ${settings.operators.length} operators × ${NOTIFICATION_EVENTS.length} events × 3 channels = ${cellsPerPass.toLocaleString('en-US')} cells ==`,
);
console.log(`baseline (one engine pass over every cell):      ${fmt(baseline)} ms`);
console.log(
  `pure preview (before + after, diff):              ${fmt(pure)} ms  (${fmt(pure / baseline)}× the baseline; ${changed.toLocaleString('en-US')} cells change)`,
);
console.log(
  `service previewSettingsChangeFor (what GraphQL runs): ${fmt(service)} ms  (${fmt(service / baseline)}× the baseline; ${serviceChanged.toLocaleString('en-US')} cells)`,
);
console.log(`target: under 100 ms → ${service < 100 ? 'met' : 'NOT met'} (median of ${RUNS} runs)`);
await database.close();
