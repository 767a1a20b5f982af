/**
 * Fairness between organizations on one instance: at most `budget` happenings of one organization
 * are being ingested at once; the organization's further reports wait here, in arrival order, until
 * enough of its budget is free. With the default (one full batch), a flood of batches runs one
 * batch at a time while single reports still run side by side.
 *
 * Rate limits bound how much one API key may send; the gate bounds how much of the instance
 * (database pool, event loop) one organization holds at once, however many keys it floods with,
 * so another organization's single report never queues behind dozens of batches.
 */
interface Waiter {
  weight: number;
  admit: () => void;
}

export class OrganizationGate {
  readonly #organizations = new Map<string, { used: number; waiting: Waiter[] }>();

  /** `budget` happenings in flight per organization; 0 = unbounded. */
  constructor(readonly budget: number) {}

  async run<T>(organizationId: string, happenings: number, work: () => Promise<T>): Promise<T> {
    if (this.budget <= 0) return work();
    const weight = Math.min(Math.max(1, happenings), this.budget);
    let state = this.#organizations.get(organizationId);
    if (!state) {
      state = { used: 0, waiting: [] };
      this.#organizations.set(organizationId, state);
    }
    if (state.waiting.length === 0 && state.used + weight <= this.budget) state.used += weight;
    else await new Promise<void>((admit) => state.waiting.push({ weight, admit })); // admitted with its weight counted
    try {
      return await work();
    } finally {
      state.used -= weight;
      // First come, first served: a waiting batch is not overtaken by later single reports.
      for (let next = state.waiting[0]; next && state.used + next.weight <= this.budget; next = state.waiting[0]) {
        state.waiting.shift();
        state.used += next.weight;
        next.admit();
      }
      if (state.used === 0 && state.waiting.length === 0) this.#organizations.delete(organizationId);
    }
  }

  /** Happenings of the organization being ingested now, and reports waiting. */
  load(organizationId: string): { inFlight: number; waiting: number } {
    const state = this.#organizations.get(organizationId);
    return { inFlight: state?.used ?? 0, waiting: state?.waiting.length ?? 0 };
  }
}
