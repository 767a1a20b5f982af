/**
 * Exponential backoff with jitter: the wait before attempt `attempt + 1` after `attempt` failed.
 * The ceiling doubles per attempt (base, 2·base, 4·base… capped at `maxMs`); the delay is drawn in
 * the upper half of it ("equal jitter"), so retries of many deliveries failing together spread out
 * while each one still waits at least half its ceiling.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
