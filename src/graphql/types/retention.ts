/**
 * Retention (issue 15): the windows in effect (`retentionWindows`), an organization's override
 * (`setRetentionWindows`, admins, inside the bounds) and erasure of a visitor's personal data
 * (`eraseVisitorData`, admins).
 */
import { organizationOf } from '../../context.js';
import { RETENTION_KINDS, RETENTION_SPECS, type RetentionKind } from '../../domain/retention-windows.js';
import { eraseVisitorData } from '../../services/retention/erase-visitor-data.js';
import {
  type OrganizationRetention,
  organizationRetention,
  type RetentionOverrides,
  setOrganizationRetention,
} from '../../services/retention/retention-settings.js';
import type { Services } from '../../services/services.js';
import { builder } from '../builder.js';

function retentionOf(services: Services) {
  if (services.retention === undefined) throw new Error('retention is not configured in this process');
  return services.retention;
}

const RetentionKindEnum = builder.enumType('RetentionKind', {
  description: 'A kind of stored data with its own retention window.',
  values: Object.fromEntries(RETENTION_KINDS.map((kind) => [kind, { value: kind, description: RETENTION_SPECS[kind].why }])) as Record<
    RetentionKind,
    { value: RetentionKind; description: string }
  >,
});

interface WindowRow {
  kind: RetentionKind;
  settings: OrganizationRetention;
}

const RetentionWindowRef = builder.objectRef<WindowRow>('RetentionWindow').implement({
  description: 'How long one kind of data is kept for this organization, and what may be chosen.',
  fields: (t) => ({
    kind: t.field({ type: RetentionKindEnum, description: 'The kind of data.', resolve: (w) => w.kind }),
    unit: t.string({ description: '`days`, or `hours` (presence inbox items).', resolve: (w) => RETENTION_SPECS[w.kind].unit }),
    inEffect: t.int({ description: 'The window applied, in `unit`.', resolve: (w) => w.settings.inEffect[w.kind] }),
    override: t.int({
      nullable: true,
      description: "This organization's own window; null: the service's.",
      resolve: (w) => w.settings.overrides[w.kind] ?? null,
    }),
    serviceWindow: t.int({
      description: "The service's window: the longest an organization may choose.",
      resolve: (w) => w.settings.service[w.kind],
    }),
    minimum: t.int({ description: 'The shortest window that may be chosen.', resolve: (w) => RETENTION_SPECS[w.kind].min }),
    reason: t.string({ description: "Why the service's default is what it is.", resolve: (w) => RETENTION_SPECS[w.kind].why }),
  }),
});

const rowsOf = (settings: OrganizationRetention): WindowRow[] => RETENTION_KINDS.map((kind) => ({ kind, settings }));

builder.queryField('retentionWindows', (t) =>
  t.field({
    type: [RetentionWindowRef],
    description: "How long each kind of the organization's data is kept (admins only).",
    authScopes: { admin: true },
    resolve: async (_root, _args, ctx) =>
      rowsOf(await organizationRetention(ctx.prisma, organizationOf(ctx.viewer), retentionOf(ctx.services).windows)),
  }),
);

const SetRetentionWindowsInput = builder.inputType('SetRetentionWindowsInput', {
  description: "Windows to change: a number sets this organization's own, null goes back to the service's, absent leaves it.",
  fields: (t) =>
    Object.fromEntries(
      RETENTION_KINDS.map((kind) => [
        kind,
        t.int({ description: `In ${RETENTION_SPECS[kind].unit}, at least ${RETENTION_SPECS[kind].min}, at most the service's window.` }),
      ]),
    ) as Record<RetentionKind, ReturnType<typeof t.int>>,
});

builder.mutationField('setRetentionWindows', (t) =>
  t.field({
    type: [RetentionWindowRef],
    description:
      "Sets the organization's retention windows (admins only), each inside its bounds; a window may only be shorter than the service's. Takes effect at the next expiry pass.",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: SetRetentionWindowsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = ctx.viewer.kind === 'operator' ? ctx.viewer : null;
      if (viewer === null) throw new Error('unreachable: admin scope');
      const overrides: RetentionOverrides = {};
      for (const kind of RETENTION_KINDS) if (input[kind] !== undefined) overrides[kind] = input[kind];
      const settings = await setOrganizationRetention(
        ctx.prisma,
        viewer.organizationId,
        viewer.operatorId,
        overrides,
        retentionOf(ctx.services).windows,
      );
      return rowsOf(settings);
    },
  }),
);

const EraseVisitorDataInput = builder.inputType('EraseVisitorDataInput', {
  description: 'The visitor whose personal data to erase: their email, the chats (integrator chat ids), or both.',
  fields: (t) => ({
    email: t.string({ description: "The visitor's email: every chat with it, and every stored report that names it." }),
    chatIds: t.stringList({ description: "The integrator's ids of the visitor's chats." }),
  }),
});

const ErasureResultRef = builder.simpleObject('VisitorDataErasure', {
  description: 'What eraseVisitorData changed (also kept as an audit entry, without personal data).',
  fields: (t) => ({
    chats: t.int({ description: 'Chats found for the visitor.' }),
    rowsChanged: t.int({ description: 'Stored rows anonymised (0 when run again).' }),
    emailFilesDeleted: t.int({ description: '`.eml` files of the embedded mail outbox deleted.' }),
    counts: t.field({ type: 'JSON', description: 'Rows anonymised per table.' }),
  }),
});

builder.mutationField('eraseVisitorData', (t) =>
  t.field({
    type: ErasureResultRef,
    description:
      "Erases a visitor's personal data (name, email, message texts) from chats, happenings, event payloads, inbox items, deliveries and stored emails (admins only). Rows stay, anonymised, so analytics counts do not change; idempotent.",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: EraseVisitorDataInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = ctx.viewer.kind === 'operator' ? ctx.viewer : null;
      if (viewer === null) throw new Error('unreachable: admin scope');
      const outcome = await eraseVisitorData(
        ctx.prisma,
        viewer.organizationId,
        viewer.operatorId,
        input,
        retentionOf(ctx.services).mailDir,
      );
      const { EmailFile: files = 0, ...rows } = outcome.counts;
      return {
        chats: outcome.chats,
        rowsChanged: Object.values(rows).reduce((a, b) => a + b, 0),
        emailFilesDeleted: files,
        counts: rows,
      };
    },
  }),
);
