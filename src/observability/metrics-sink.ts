/**
 * Counts every committed decision by event kind, channel and reason (a decision sink, after commit,
 * so rolled-back work is never counted).
 */
import type { DecisionSink } from '../services/decision-sinks.js';
import { countDecision } from './metrics.js';

export const metricsSink: DecisionSink = {
  name: 'metrics',
  afterCommit(events) {
    for (const event of events) for (const decision of event.decisions) countDecision(event.kind, decision.channel, decision.reason);
  },
};
