/**
 * `previewSettingsChange` (extensions.md E3): what a settings change would change, before making
 * it. Takes the very input of the mutation that would make it, answers one page of the changed
 * (operator, event, channel) cells with the reason before and after; stores nothing. Paginated
 * (`first` ≤ 100, `after`), so it fits under the operation cost limit like any connection.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { type Context, organizationOf } from '../../context.js';
import type { ImpactCell, Outcome } from '../../domain/preview-settings-change.js';
import { AppError } from '../../errors.js';
import { previewSettingsChangeFor, type SettingsChangeRequest } from '../../services/preview-settings-change.js';
import { builder } from '../builder.js';
import { connectionPageSize } from '../connection-size.js';
import { SetAdminLockInput } from './admin-lock.js';
import { loadOperators } from './decision.js';
import { NotificationEventKindEnum, OperatorChannelEnum, ReasonEnum } from './enums.js';
import { OperatorNode, UpdateOperatorInput } from './operator.js';
import { GroupMemberInput } from './operator-group.js';
import { UpdateDashboardPreferencesInput } from './preference.js';
import { UpdateRoleInput } from './role.js';
import { UpdateWidgetInput, WidgetNode } from './widget.js';

const OutcomeObject = builder.objectRef<Outcome>('PreviewOutcome').implement({
  description: 'What the precedence rule decides for one cell.',
  fields: (t) => ({
    delivered: t.exposeBoolean('delivered', { description: 'Whether it is delivered.' }),
    reason: t.field({ type: ReasonEnum, description: 'DELIVERED, or the check that stops it.', resolve: (o) => o.reason }),
  }),
});

const ImpactCellObject = builder.objectRef<ImpactCell>('SettingsChangeCell').implement({
  description: 'An (operator, event, channel) whose outcome for a typical happening of the event would change.',
  fields: (t) => ({
    operator: t.loadable({ type: OperatorNode, description: 'The operator.', load: loadOperators, resolve: (c) => c.operatorId }),
    event: t.field({ type: NotificationEventKindEnum, description: 'The event.', resolve: (c) => c.event }),
    channel: t.field({ type: OperatorChannelEnum, description: 'The channel.', resolve: (c) => c.channel }),
    before: t.field({ type: OutcomeObject, description: 'The outcome with the current settings.', resolve: (c) => c.before }),
    after: t.field({ type: OutcomeObject, description: 'The outcome once the change is made.', resolve: (c) => c.after }),
  }),
});

interface PreviewPage {
  cells: ImpactCell[];
  totalCount: number;
  endCursor: string | null;
  hasNextPage: boolean;
  widgetId: string | null;
}

const PreviewObject = builder.objectRef<PreviewPage>('SettingsChangePreview').implement({
  description: 'One page of the cells a settings change would change, in event, operator, channel order.',
  fields: (t) => ({
    cells: t.field({ type: [ImpactCellObject], description: 'The changed cells of this page.', resolve: (p) => p.cells }),
    totalCount: t.exposeInt('totalCount', { description: 'How many cells change in all.' }),
    endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass as `after` for the next page.' }),
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'Whether more cells follow.' }),
    typicalWidget: t.id({
      nullable: true,
      description: 'The widget the typical chat happening comes through (the changed widget, `widgetId`, or the only one); null: none.',
      resolve: (p) => (p.widgetId === null ? null : encodeGlobalID('Widget', p.widgetId)),
    }),
  }),
});

const SettingsChangeInput = builder.inputType('SettingsChangeInput', {
  description: 'Exactly one settings change, as its mutation takes it.',
  fields: (t) => ({
    updateRole: t.field({ type: UpdateRoleInput, description: "A role's notifications switch (`updateRole`)." }),
    updateOperator: t.field({ type: UpdateOperatorInput, description: "An operator's role (`updateOperator`)." }),
    updateWidget: t.field({ type: UpdateWidgetInput, description: "A widget's switches and group (`updateWidget`)." }),
    setAdminLock: t.field({ type: SetAdminLockInput, description: 'A lock (`setAdminLock`).' }),
    updateDashboardPreferences: t.field({ type: UpdateDashboardPreferencesInput, description: "An operator's preferences." }),
    addGroupMember: t.field({ type: GroupMemberInput, description: 'A group membership added (`addGroupMember`).' }),
    removeGroupMember: t.field({ type: GroupMemberInput, description: 'A group membership removed (`removeGroupMember`).' }),
  }),
});

const offsetOf = (cursor: string | null | undefined): number => {
  if (!cursor) return 0;
  const raw = Buffer.from(cursor, 'base64url').toString();
  const offset = raw.startsWith('cell:') ? Number(raw.slice(5)) : Number.NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new AppError('INVALID_INPUT', 'Not a preview cursor', 'after');
  return offset;
};

type ChangeArg = typeof SettingsChangeInput.$inferInput;

function toRequest(change: ChangeArg): SettingsChangeRequest {
  const lock = change.setAdminLock;
  const prefs = change.updateDashboardPreferences;
  return {
    updateRole: change.updateRole && { id: change.updateRole.id.id, notificationsEnabled: change.updateRole.notificationsEnabled },
    updateOperator: change.updateOperator && { id: change.updateOperator.id.id, roleId: change.updateOperator.roleId?.id },
    updateWidget: change.updateWidget && {
      ...change.updateWidget,
      id: change.updateWidget.id.id,
      groupId: change.updateWidget.groupId === null ? null : change.updateWidget.groupId?.id,
    },
    setAdminLock: lock && { roleId: lock.roleId?.id ?? null, event: lock.event, channel: lock.channel, value: lock.value ?? null },
    updateDashboardPreferences: prefs && { operatorId: prefs.operatorId.id, changes: prefs.changes },
    addGroupMember: change.addGroupMember && { groupId: change.addGroupMember.groupId.id, operatorId: change.addGroupMember.operatorId.id },
    removeGroupMember: change.removeGroupMember && {
      groupId: change.removeGroupMember.groupId.id,
      operatorId: change.removeGroupMember.operatorId.id,
    },
  };
}

/** Admins preview anything; an operator only a change of their own preferences (what they may make). */
function authorize(ctx: Context, request: SettingsChangeRequest): void {
  const viewer = ctx.viewer;
  if (viewer.kind !== 'operator') throw new Error('unreachable: scope guarantees an operator');
  if (viewer.isAdmin || request.updateDashboardPreferences?.operatorId === viewer.operatorId) return;
  throw new AppError('FORBIDDEN', 'Only admins can preview this change', 'change');
}

builder.queryField('previewSettingsChange', (t) =>
  t.field({
    type: PreviewObject,
    description:
      'Which (operator, event, channel) cells a settings change would change for a typical happening of each event, with the reason before and after; stores nothing. Applying the change and then reporting the happening gives exactly `after`.',
    authScopes: { operator: true },
    args: {
      change: t.arg({ type: SettingsChangeInput, required: true, description: 'The change, as its mutation takes it.' }),
      widgetId: t.arg.globalID({
        for: WidgetNode,
        description: 'The widget chat happenings come through (needed when there are several).',
      }),
      first: t.arg.int({ description: 'Cells per page (default 20, at most 100).' }),
      after: t.arg.string({ description: 'The `endCursor` of the previous page.' }),
    },
    resolve: async (_root, args, ctx) => {
      const request = toRequest(args.change);
      authorize(ctx, request);
      const offset = offsetOf(args.after);
      const size = connectionPageSize({ first: args.first });
      const preview = await previewSettingsChangeFor(ctx.prisma, organizationOf(ctx.viewer), request, args.widgetId?.id ?? null);
      const cells = preview.cells.slice(offset, offset + size);
      const end = offset + cells.length;
      return {
        cells,
        totalCount: preview.cells.length,
        endCursor: cells.length === 0 ? null : Buffer.from(`cell:${end}`).toString('base64url'),
        hasNextPage: end < preview.cells.length,
        widgetId: preview.widgetId,
      };
    },
  }),
);
