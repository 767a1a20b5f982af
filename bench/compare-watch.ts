/**
 * What the machine and PostgreSQL did during a latency section of bench/compare.bench.ts, sampled
 * every 100 ms from the orchestrator: non-idle PostgreSQL sessions of every database (autovacuum
 * workers included), running vacuums, the checkpointer's counters, and the CPU every process used
 * (from /proc: PostgreSQL and the other processes are local). `explain` lines the slowest samples
 * up against all of it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { PrismaClient } from '../src/generated/prisma/client.js';

const now = () => performance.timeOrigin + performance.now();
const TICK_MS = 100;
const CLOCK_US = 10_000; // USER_HZ 100: one tick of /proc's utime + stime is 10 ms

export interface Session {
  datname: string | null;
  backend_type: string;
  state: string | null;
  wait: string | null;
  query: string;
}
interface Checkpointer {
  checkpoints_timed: number;
  checkpoints_req: number;
  buffers_checkpoint: number;
  buffers_clean: number;
  buffers_backend: number;
}
interface Sample {
  at: number;
  sessions: Session[];
  vacuums: string[];
  checkpointer: Checkpointer | null;
  /** CPU used since the previous sample, per process (µs), the busiest first. */
  cpu: { pid: number; name: string; us: number }[];
  /** Busy share of all cores since the previous sample (0..1). */
  busy: number;
}

function processTicks(): Map<number, { name: string; us: number }> {
  const ticks = new Map<number, { name: string; us: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      ticks.set(Number(entry), {
        name: stat.slice(stat.indexOf('(') + 1, close),
        us: ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * CLOCK_US,
      });
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

function machineTicks(): { busy: number; total: number } {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + (b || 0), 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/** A short name for a process: the bench's own children by role, PostgreSQL by its title, else its command. */
function label(pid: number, name: string, roles: Map<number, string>): string {
  const role = roles.get(pid);
  if (role) return role;
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return name;
  }
  if (cmd.startsWith('postgres:')) return cmd.slice(0, 60);
  const script = cmd.match(/[\w.-]+\.(?:ts|js|mjs)\b/)?.[0];
  return script ? `${name} ${script}` : cmd.slice(0, 50) || name;
}

export function watchMachine(prisma: PrismaClient, roles: Map<number, string>) {
  const samples: Sample[] = [];
  let previous = processTicks();
  let previousMachine = machineTicks();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = now();
      const [sessions, vacuums, checkpointer] = await Promise.all([
        prisma.$queryRaw<Session[]>`
          SELECT datname, backend_type, state, concat_ws(':', wait_event_type, wait_event) AS wait, left(query, 80) AS query
          FROM pg_stat_activity
          WHERE pid <> pg_backend_pid() AND (state IS NULL OR state NOT LIKE 'idle%')
            AND backend_type NOT IN ('walwriter', 'logical replication launcher', 'archiver', 'autovacuum launcher')
            AND NOT (backend_type IN ('checkpointer', 'background writer') AND wait_event IS NOT NULL)`,
        prisma.$queryRaw<{ what: string }[]>`
          SELECT concat(datname, ' ', relid::regclass, ' ', phase) AS what FROM pg_stat_progress_vacuum`,
        prisma.$queryRaw<Checkpointer[]>`
          SELECT checkpoints_timed::int, checkpoints_req::int, buffers_checkpoint::int, buffers_clean::int, buffers_backend::int
          FROM pg_stat_bgwriter`,
      ]);
      const ticks = processTicks();
      const machine = machineTicks();
      const cpu: Sample['cpu'] = [];
      for (const [pid, t] of ticks) {
        const us = t.us - (previous.get(pid)?.us ?? t.us);
        if (us > 0) cpu.push({ pid, name: t.name, us });
      }
      cpu.sort((a, b) => b.us - a.us);
      const busy = (machine.busy - previousMachine.busy) / Math.max(1, machine.total - previousMachine.total);
      previous = ticks;
      previousMachine = machine;
      samples.push({
        at,
        sessions,
        vacuums: vacuums.map((v) => v.what),
        checkpointer: checkpointer[0] ?? null,
        cpu: cpu.slice(0, 6).map((c) => ({ ...c, name: label(c.pid, c.name, roles) })),
        busy,
      });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + TICK_MS - now())));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return samples;
  };
}

export interface Stall {
  at: number;
  ms: number;
  what: string;
}

const oneLine = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

/** Lines that put each slow sample beside what overlapped it: service stalls, PostgreSQL, CPU. */
export function explain(
  t0: number,
  slowest: { at: number; ms: number }[],
  stalls: Stall[],
  samples: Sample[],
  ownDatabase: string,
): string[] {
  const rel = (t: number) => `${((t - t0) / 1000).toFixed(3)} s`;
  const lines: string[] = [];
  for (const s of slowest) {
    const overlapping = stalls
      .filter((x) => x.at < s.at + s.ms && x.at + x.ms > s.at)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 4)
      .map((x) => `${x.what.slice(0, 34)} ${x.ms.toFixed(0)} ms @${rel(x.at)}`);
    const during = samples.filter((x) => x.at >= s.at - TICK_MS && x.at <= s.at + s.ms + TICK_MS);
    const busy = during.length ? Math.max(...during.map((x) => x.busy)) : Number.NaN;
    // PostgreSQL's own background work (autovacuum, checkpointer, …) by name; other databases' sessions counted.
    const others = new Set<string>();
    let elsewhere = 0;
    for (const x of during)
      for (const session of x.sessions) {
        if (session.backend_type !== 'client backend') others.add(`${session.backend_type} ${oneLine(session.query)}`.slice(0, 70));
        else if (session.datname !== ownDatabase) elsewhere++;
      }
    if (elsewhere) others.add(`${elsewhere} busy sessions of other databases`);
    const cpu = new Map<string, number>();
    for (const x of during) for (const c of x.cpu) cpu.set(c.name, (cpu.get(c.name) ?? 0) + c.us);
    const top = [...cpu]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([name, us]) => `${name} ${(us / 1000).toFixed(0)} ms`);
    lines.push(
      `  sent @${rel(s.at)}: ${s.ms.toFixed(1)} ms; machine busy ≤ ${(busy * 100).toFixed(0)}%; ` +
        `service: ${overlapping.join(', ') || 'no stall ≥ 10 ms'}; CPU then: ${top.join(', ')}` +
        (others.size ? `; PostgreSQL besides this bench's queries: ${[...others].join(' | ')}` : ''),
    );
  }
  return lines;
}

/** The section in a few lines: background PostgreSQL work, checkpoints, the busiest processes. */
export function summarize(samples: Sample[], ownDatabase: string): string[] {
  if (samples.length < 2) return [];
  const first = samples[0]?.checkpointer;
  const last = samples.at(-1)?.checkpointer;
  const background = new Map<string, number>();
  for (const x of samples)
    for (const s of x.sessions)
      if (s.backend_type !== 'client backend' || s.datname !== ownDatabase) {
        const key =
          s.backend_type === 'client backend'
            ? 'sessions of other databases'
            : `${s.backend_type}: ${oneLine(s.query) || s.wait}`.slice(0, 100);
        background.set(key, (background.get(key) ?? 0) + 1);
      }
  for (const x of samples) for (const v of x.vacuums) background.set(`vacuum ${v}`, (background.get(`vacuum ${v}`) ?? 0) + 1);
  const cpu = new Map<string, number>();
  for (const x of samples) for (const c of x.cpu) cpu.set(c.name, (cpu.get(c.name) ?? 0) + c.us);
  const seconds = ((samples.at(-1)?.at ?? 0) - (samples[0]?.at ?? 0)) / 1000;
  const busy = samples.reduce((sum, x) => sum + x.busy, 0) / samples.length;
  return [
    `  machine: ${(busy * 100).toFixed(0)}% of both cores busy on average over ${seconds.toFixed(1)} s; CPU by process: ${[...cpu]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, us]) => `${name} ${(us / 1000 / seconds).toFixed(0)} ms/s`)
      .join(', ')}`,
    `  checkpoints meanwhile: ${first && last ? `${last.checkpoints_timed - first.checkpoints_timed} timed, ${last.checkpoints_req - first.checkpoints_req} requested, ${last.buffers_checkpoint - first.buffers_checkpoint} buffers written by the checkpointer, ${last.buffers_backend - first.buffers_backend} by backends` : 'n/a'}`,
    `  other PostgreSQL work seen (samples of ${TICK_MS} ms): ${
      [...background]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, n]) => `${k} ×${n}`)
        .join(' | ') || 'none'
    }`,
  ];
}
