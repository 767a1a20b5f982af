/**
 * V8 runtime tuning of the service process (issue 8, seventh round). Scavenges (young-generation
 * collections) run on the main thread alone unless GC_PARALLEL_SCAVENGE=1.
 *
 * Why: under chat starts at full load on a two-core machine shared with PostgreSQL, V8's helper
 * threads spent 130–160 µs of CPU per report on parallel scavenging, and the main thread paused
 * just as long per MB collected with them as without (0.74 ms/MB either way): their CPU was taken
 * from PostgreSQL and the load, not given back as shorter pauses. Without them the helper threads
 * use 30–60 µs per report (docs/capacity.md, "Seventh round"). On a host with idle cores to spare,
 * GC_PARALLEL_SCAVENGE=1 restores V8's default.
 */
import { setFlagsFromString } from 'node:v8';

/** Applies the GC settings; once, before the service allocates much (main.ts, the benchmark's service). */
export function applyGcTuning(options: { gcParallelScavenge: boolean }): void {
  // Read by V8 at every scavenge, so setting it at run time takes effect from the next one.
  if (!options.gcParallelScavenge) setFlagsFromString('--no-parallel-scavenge');
}
