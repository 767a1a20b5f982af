/**
 * Addon instances: organization-level integrations, each choosing the events it wants among those
 * its kind supports, with a per-kind configuration validated by `validateAddonConfig`. Secrets
 * (Help Scout API token, webhook signing secret) are stored but never read back through the API,
 * except a webhook secret the service generates, returned once by the write that created it.
 */
import type { Db } from '../db/database.js';
import { ADDON_URL_FIELDS, type AddonConfig, type AddonConfigByKind, validateAddonConfig } from '../domain/addon-config.js';
import { ADDON_SUPPORTED_EVENTS, type AddonKind, type NotificationEventKind } from '../domain/catalog.js';
import { invalidInput, notFound } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { OutboundGuard } from './outbound/outbound-guard.js';

export interface NewAddon {
  kind: AddonKind;
  name: string;
  enabled: boolean;
  events: readonly NotificationEventKind[];
  config: Record<string, unknown>;
}

export interface AddonPatch {
  name?: string | null;
  enabled?: boolean | null;
  events?: readonly NotificationEventKind[] | null;
  /** Fields to change; absent fields keep their stored value (so secrets need not be re-entered). */
  config?: Record<string, unknown> | null;
  /** Webhooks only: replace the signing secret with a new generated one. */
  rotateSecret?: boolean | null;
}

/** The chosen events, deduplicated; INVALID_INPUT naming the first event the kind does not support. */
export function validateAddonEvents(kind: AddonKind, events: readonly NotificationEventKind[], field: string): NotificationEventKind[] {
  const supported = ADDON_SUPPORTED_EVENTS[kind];
  events.forEach((event, index) => {
    if (!supported.includes(event)) throw invalidInput(`${kind} addons do not support ${event}`, `${field}.${index}`);
  });
  return [...new Set(events)];
}

/** The kind's rules (INVALID_INPUT), then every URL through the outbound guard (URL_NOT_ALLOWED). */
function checkConfig<K extends AddonKind>(outbound: OutboundGuard, kind: K, input: unknown, field: string): AddonConfigByKind[K] {
  const result = validateAddonConfig(kind, input);
  if (!result.ok) throw invalidInput(result.message, `${field}.${result.field}`);
  const urls = result.config as unknown as Record<string, string>;
  for (const key of ADDON_URL_FIELDS[kind] as readonly string[]) outbound.assertUrlAllowed(urls[key] ?? '', `${field}.${key}`);
  return result.config;
}

const requireName = (name: string) => {
  if (name.trim() === '') throw invalidInput('name must not be empty', 'input.name');
  return name.trim();
};

/** The secret the caller may see once: a webhook secret that was generated (not given) by this write. */
const generatedSecret = (kind: AddonKind, given: Record<string, unknown>, config: AddonConfig) =>
  kind === 'WEBHOOK' && (given.secret === undefined || given.secret === null) ? (config as AddonConfigByKind['WEBHOOK']).secret : null;

export async function createAddon(prisma: Db, outbound: OutboundGuard, organizationId: string, input: NewAddon) {
  const name = requireName(input.name);
  const events = validateAddonEvents(input.kind, input.events, 'input.events');
  const config = checkConfig(outbound, input.kind, input.config, 'input.config');
  const addon = await prisma.addon.create({
    data: { organizationId, kind: input.kind, name, enabled: input.enabled, events, config: config as unknown as Prisma.InputJsonValue },
  });
  return { addon, webhookSecret: generatedSecret(input.kind, input.config, config) };
}

export async function updateAddon(prisma: Db, outbound: OutboundGuard, organizationId: string, addonId: string, patch: AddonPatch) {
  return prisma.$transaction(async (tx) => {
    const addon = await tx.addon.findFirst({ where: { id: addonId, organizationId, deletedAt: null } });
    if (!addon) throw notFound('Addon', 'input.id');
    const kind = addon.kind as AddonKind;
    const events = patch.events ? validateAddonEvents(kind, patch.events, 'input.events') : undefined;
    let webhookSecret: string | null = null;
    let config: AddonConfig | undefined;
    if (patch.config || patch.rotateSecret) {
      const given = Object.fromEntries(Object.entries(patch.config ?? {}).filter(([, value]) => value !== undefined && value !== null));
      const merged: Record<string, unknown> = { ...(addon.config as Record<string, unknown>), ...given };
      if (patch.rotateSecret) {
        if (kind !== 'WEBHOOK') throw invalidInput('Only webhook addons have a secret to rotate', 'input.rotateSecret');
        if (given.secret === undefined) delete merged.secret;
      }
      config = checkConfig(outbound, kind, merged, 'input.config');
      webhookSecret = kind === 'WEBHOOK' && merged.secret === undefined ? (config as AddonConfigByKind['WEBHOOK']).secret : null;
    }
    const updated = await tx.addon.update({
      where: { id: addonId },
      data: {
        name: patch.name === null || patch.name === undefined ? undefined : requireName(patch.name),
        enabled: patch.enabled ?? undefined,
        events,
        config: config === undefined ? undefined : (config as unknown as Prisma.InputJsonValue),
      },
    });
    return { addon: updated, webhookSecret };
  });
}

/** Soft delete: the addon stops receiving events; its past decisions stay explainable. */
export async function deleteAddon(prisma: Db, organizationId: string, addonId: string) {
  const { count } = await prisma.addon.updateMany({
    where: { id: addonId, organizationId, deletedAt: null },
    data: { deletedAt: new Date() },
  });
  if (count === 0) throw notFound('Addon', 'id');
  return prisma.addon.findUniqueOrThrow({ where: { id: addonId } });
}
