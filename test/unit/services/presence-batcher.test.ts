/**
 * presence-batcher.ts: coalescing per organization, order, retry until stored with the same
 * idempotency keys, a refused change isolated, bounded concurrency. The reporter here records what
 * it is asked to store (the database side is covered by test/streams/presence-storm.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { createPresenceBatcher, type PresenceChange } from '../../../src/services/live/presence-batcher.js';

interface Call {
  organizationId: string;
  changes: PresenceChange[];
}

function recorder(behave: (call: Call, index: number) => Promise<void> | void = () => {}) {
  const calls: Call[] = [];
  let running = 0;
  let maxRunning = 0;
  const report = async (organizationId: string, changes: readonly PresenceChange[]) => {
    const call = { organizationId, changes: [...changes] };
    calls.push(call);
    running++;
    maxRunning = Math.max(maxRunning, running);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await behave(call, calls.length - 1);
    } finally {
      running--;
    }
  };
  return { calls, report, maxRunning: () => maxRunning };
}

describe('presence batcher', () => {
  it('writes the changes of one window together, per organization, each operator in order', async () => {
    const { calls, report } = recorder();
    const batcher = createPresenceBatcher({ report, windowMs: 30, concurrency: 2 });
    const submitted = Array.from({ length: 40 }, (_, i) =>
      batcher.submit(i % 4 === 0 ? 'org-b' : 'org-a', `op-${i % 10}`, i < 20 ? 'ONLINE' : 'OFFLINE'),
    );
    await Promise.all(submitted);
    const ofA = calls.filter((c) => c.organizationId === 'org-a').flatMap((c) => c.changes);
    const ofB = calls.filter((c) => c.organizationId === 'org-b').flatMap((c) => c.changes);
    expect(ofA).toHaveLength(30);
    expect(ofB).toHaveLength(10);
    // Far fewer writes than changes (chunks of 8, then 16…), and never two organizations in one.
    expect(calls.length).toBeLessThanOrEqual(6);
    for (const c of calls) expect(new Set(c.changes.map(() => c.organizationId)).size).toBe(1);
    // op-1 came ONLINE (i = 1, 11) before OFFLINE (i = 21, 31), and stays in that order.
    expect(ofA.filter((c) => c.operatorId === 'op-1').map((c) => c.presence)).toEqual(['ONLINE', 'ONLINE', 'OFFLINE', 'OFFLINE']);
    expect(new Set([...ofA, ...ofB].map((c) => c.idempotencyKey)).size).toBe(40);
    await batcher.stop();
  });

  it('retries a failed write until it is stored, with the same idempotency keys (a retry after an unsure commit replays)', async () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { code: 'P2034' });
    const { calls, report } = recorder((_call, index) => {
      if (index < 3) throw deadlock;
    });
    const batcher = createPresenceBatcher({ report, windowMs: 0, concurrency: 1 });
    await batcher.submit('org', 'op-1', 'ONLINE');
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => c.changes[0]?.idempotencyKey)).size).toBe(1);
    await batcher.stop();
  });

  it('a change refused on its own fails alone; the others of its batch are stored, in order', async () => {
    const { calls, report } = recorder((call) => {
      if (call.changes.some((c) => c.operatorId === 'gone'))
        throw new AppError('NOT_FOUND', 'Operator does not exist in this organization');
    });
    const batcher = createPresenceBatcher({ report, windowMs: 20, concurrency: 1 });
    const ok1 = batcher.submit('org', 'op-1', 'ONLINE');
    const bad = batcher.submit('org', 'gone', 'ONLINE');
    const ok2 = batcher.submit('org', 'op-2', 'ONLINE');
    await expect(bad).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await Promise.all([ok1, ok2]);
    const stored = calls.filter((c) => !c.changes.some((x) => x.operatorId === 'gone')).flatMap((c) => c.changes.map((x) => x.operatorId));
    expect(stored).toEqual(['op-1', 'op-2']);
    await batcher.stop();
  });

  it('runs at most `concurrency` writes at once, every organization included', async () => {
    const { report, maxRunning, calls } = recorder();
    const batcher = createPresenceBatcher({ report, windowMs: 10, concurrency: 1 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => batcher.submit(`org-${i % 6}`, `op-${i}`, 'ONLINE')));
    expect(calls.length).toBeGreaterThanOrEqual(6);
    expect(maxRunning()).toBe(1);
    await batcher.stop();
  });

  it('stop writes what is still gathering, without waiting for the window', async () => {
    const { calls, report } = recorder();
    const batcher = createPresenceBatcher({ report, windowMs: 60_000, concurrency: 1 });
    const pending = batcher.submit('org', 'op-1', 'OFFLINE');
    await batcher.stop();
    await pending;
    expect(calls.flatMap((c) => c.changes.map((x) => x.presence))).toEqual(['OFFLINE']);
  });
});

describe('presence batcher, urgent changes', () => {
  it('an urgent change goes ahead of a backlog, after the same operator’s pending changes', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { calls, report } = recorder((_call, index) => (index === 0 ? gate : undefined));
    const batcher = createPresenceBatcher({ report, windowMs: 0, concurrency: 1 });
    const first = batcher.submit('org', 'op-0', 'ONLINE');
    // While the first write is in flight, a backlog gathers; op-7 then sets AWAY and waits for it.
    const backlog = Array.from({ length: 40 }, (_, i) => batcher.submit('org', `op-${i + 1}`, 'ONLINE'));
    const away = batcher.submit('org', 'op-7', 'AWAY', true);
    release();
    await Promise.all([first, away, ...backlog]);
    const order = calls.slice(1).flatMap((c) => c.changes.map((x) => `${x.operatorId}:${x.presence}`));
    expect(order.slice(0, 2)).toEqual(['op-7:ONLINE', 'op-7:AWAY']);
    expect(order).toHaveLength(41);
    await batcher.stop();
  });
});

describe('presence batcher, presence stored before it is announced', () => {
  it('stores every change within the window while a backlog of announcements is still being written', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const log: string[] = [];
    const stored: { operatorId: string; presence: string }[][] = [];
    const store = async (_organizationId: string, changes: readonly { operatorId: string; presence: string }[]) => {
      stored.push([...changes]);
      log.push(`store ${changes.map((c) => `${c.operatorId}:${c.presence}`).join(',')}`);
    };
    const { calls, report } = recorder((call, index) => {
      log.push(`report ${call.changes.map((c) => `${c.operatorId}:${c.presence}`).join(',')}`);
      return index === 0 ? gate : undefined;
    });
    const batcher = createPresenceBatcher({ report, store, windowMs: 10, concurrency: 1 });
    const first = batcher.submit('org', 'op-0', 'ONLINE');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first announcement is held; 30 operators connect, and op-3 leaves again.
    const storm = Array.from({ length: 30 }, (_, i) => batcher.submit('org', `op-${i + 1}`, 'ONLINE'));
    const leaves = batcher.submit('org', 'op-3', 'OFFLINE');
    await new Promise((resolve) => setTimeout(resolve, 80));
    // All stored (in order, op-3's last change included) although only the first was announced.
    expect(stored.flat()).toHaveLength(32);
    expect(
      stored
        .flat()
        .filter((c) => c.operatorId === 'op-3')
        .map((c) => c.presence),
    ).toEqual(['ONLINE', 'OFFLINE']);
    expect(calls).toHaveLength(1);
    release();
    await Promise.all([first, leaves, ...storm]);
    // Each change announced once, in order, and never before it was stored.
    const announced = calls.flatMap((c) => c.changes.map((x) => `${x.operatorId}:${x.presence}`));
    expect(announced).toHaveLength(32);
    expect(announced.filter((a) => a.startsWith('op-3:'))).toEqual(['op-3:ONLINE', 'op-3:OFFLINE']);
    for (const entry of log.filter((l) => l.startsWith('report'))) {
      const firstChange = entry.split(' ')[1]?.split(',')[0] ?? '';
      const storedAt = log.findIndex((l) => l.startsWith('store') && l.split(' ')[1]?.split(',').includes(firstChange));
      expect(storedAt, entry).toBeGreaterThanOrEqual(0);
      expect(storedAt, entry).toBeLessThan(log.indexOf(entry));
    }
    await batcher.stop();
  });

  it('retries a failed store until it is stored, and announces only after', async () => {
    let failures = 2;
    const log: string[] = [];
    const store = async () => {
      if (failures-- > 0) throw new Error('connection lost');
      log.push('stored');
    };
    const { report } = recorder(() => void log.push('reported'));
    const batcher = createPresenceBatcher({ report, store, windowMs: 0, concurrency: 1 });
    await batcher.submit('org', 'op-1', 'ONLINE');
    expect(log).toEqual(['stored', 'reported']);
    await batcher.stop();
  });
});
