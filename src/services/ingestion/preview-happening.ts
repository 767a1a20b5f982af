/**
 * "Would operator O get this, and if not, which layer stops it?": evaluates a hypothetical
 * happening against the current settings and chat state exactly as a report would, on every
 * operator channel, and stores nothing.
 */
import type { NotificationEventKind } from '../../domain/catalog.js';
import type { Decision } from '../../domain/decide-notifications.js';
import type { HappeningInput } from '../../domain/derive-events.js';
import type { Services } from '../services.js';
import { planHappenings } from './plan-happenings.js';
import { settingsCacheFor } from './settings-cache.js';
import { validateHappenings } from './validate-happenings.js';

export interface PreviewedEvent {
  kind: NotificationEventKind;
  chatId: string | null;
  widgetId: string | null;
  subjectOperatorId: string | null;
  payload: Record<string, unknown>;
  decisions: Decision[];
}

/** Every event the happening would raise with every decision; `operatorId` keeps only that operator's (and the addons'). */
export async function previewHappening(
  services: Services,
  organizationId: string,
  input: HappeningInput,
  operatorId: string | null = null,
): Promise<PreviewedEvent[]> {
  validateHappenings([input], 1);
  const plan = await planHappenings(services.prisma, organizationId, [input], {
    lock: false,
    allChannels: true,
    cache: settingsCacheFor(services.prisma),
  });
  return (plan.happenings[0]?.events ?? []).map(({ id: _id, decisions, ...event }) => ({
    ...event,
    decisions: operatorId === null ? decisions : decisions.filter((d) => d.target.kind === 'ADDON' || d.target.operatorId === operatorId),
  }));
}
