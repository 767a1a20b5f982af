/**
 * Stream handshakes a few at a time per turn of the event loop (issue 14). When 1,000 operators
 * connect at once, their `connection_init` and `subscribe` messages arrive in the same I/O phases;
 * handled as they came, each phase ran hundreds of token checks and stream setups back to back and
 * a visitor's report, needing a few round trips, waited that long for each (1.2 s event-loop
 * delays). Here a handshake step waits for its turn: `perTurn` of them run per turn (setImmediate),
 * so the I/O of reports in flight gets a turn in between. Order is kept (first come, first served).
 */
export function handshakeTurns(perTurn: number): () => Promise<void> {
  const waiting: (() => void)[] = [];
  let scheduled = false;
  const turn = () => {
    for (const go of waiting.splice(0, Math.max(1, perTurn))) go();
    if (waiting.length > 0) setImmediate(turn);
    else scheduled = false;
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (!scheduled) {
        scheduled = true;
        setImmediate(turn);
      }
    });
}
