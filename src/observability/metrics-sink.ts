/**
 * Counts every committed decision by event kind, channel and reason (a decision sink, after commit,
 * so rolled-back work is never counted).
 */
import type { DecisionSink } from '../services/decision-sinks.js';
import { metrics } from './metrics.js';

export const metricsSink: DecisionSink = {
  name: 'metrics',
  afterCommit(events) {
    for (const event of events)
      for (const decision of event.decisions)
        metrics.decisions.inc({ event: event.kind, channel: decision.channel, reason: decision.reason });
  },
};
