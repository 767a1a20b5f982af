/**
 * Who gets what: the precedence rule of notification-rules.md.
 *
 * Operator channels (BROWSER, AUDIO, EMAIL). Operator O gets event E from widget W on channel C
 * only if all hold, checked in this order; the first that fails is the reason:
 *   1. C is available for E                     CHANNEL_AVAILABLE    else CHANNEL_NOT_AVAILABLE
 *   2. O is in E's audience                     (no check)           else O is not considered at all
 *   3. O's role has notifications enabled       ROLE_ENABLED         else ROLE_DISABLED
 *   4. (E, C) is not locked FORBIDDEN for O     ADMIN_LOCK           else LOCKED_OFF          (E1)
 *   5. unless (E, C) is locked REQUIRED for O:
 *      O's own preference for (E, C) is on      OPERATOR_PREFERENCE  else OPERATOR_OPTED_OUT
 *   6. unless locked REQUIRED, or C is EMAIL:
 *      O is not in quiet time                   OUTSIDE_QUIET_TIME   else QUIET_TIME          (E2)
 *   7. if E came through W and W's switch for
 *      C mutes E, that switch is on             WIDGET_SWITCH        else WIDGET_MUTED
 *   8. if C is EMAIL, E is ALL_FINISHED_CHAT_SESSIONS or ALL_OFFLINE_MESSAGES and W has
 *      emailSameGroupOnly, O belongs to W's
 *      operator group                           WIDGET_GROUP         else OUTSIDE_WIDGET_GROUP
 *
 * Locks (admin-locks.ts; role over organization) and quiet time are extensions.md E1 and E2: check 4
 * runs (and is in the trace, with the lock's scope and value) only when (E, C) is locked for O;
 * check 6 only while O is in quiet time (the caller says who is, at the event's moment), so it fails
 * whenever it runs. With no lock and nobody in quiet time, every decision and trace is the base rule's.
 * A required lock still yields to a widget switch (a widget can mute but never force). Email in
 * quiet time is delivered: deferring it to the spell's end is the delivery queue's business.
 *
 * Addons (channel ADDON). Addon A gets E only if, in this order:
 *   E is available to addons (CHANNEL_AVAILABLE), A is enabled (ADDON_ENABLED), A's kind supports E
 *   (ADDON_SUPPORTS_EVENT), A chose E (ADDON_CHOSE_EVENT) and, when E came through W and W's addons
 *   switch mutes E, that switch is on (WIDGET_SWITCH). Role and operator settings do not apply.
 *
 * A widget can mute but never force: with every switch on, operators' preferences still decide.
 * Audio has no widget switch, so nothing mutes it. Checks 5 and 6 are in a trace only when they
 * apply. A widget with emailSameGroupOnly but no group has no members: its same-group emails reach
 * nobody (decision: the admin asked to restrict, so restricting to the empty group is the safe
 * reading). A missing preference counts as opted out: the service fills in product defaults.
 *
 * Traces depend only on the path of checks, so they are built once per path, frozen and shared by
 * every decision that took that path: deciding for 1,000 operators allocates only the decisions.
 *
 * Over 300 lines because the input and output types the services code against belong to the rule
 * they describe; every function stays small.
 */
import type { AppliedLock, ChannelLocks } from './admin-locks.js';
import {
  type AddonKind,
  type Audience,
  type Channel,
  EVENT_CATALOG,
  findMutingSwitch,
  isChannelAvailable,
  isEventSupportedByAddon,
  type NotificationEventKind,
  OPERATOR_CHANNELS,
  type OperatorChannel,
  SAME_GROUP_EMAIL_EVENTS,
} from './catalog.js';

export const REASONS = [
  'DELIVERED',
  'CHANNEL_NOT_AVAILABLE',
  'ROLE_DISABLED',
  'LOCKED_OFF',
  'OPERATOR_OPTED_OUT',
  'QUIET_TIME',
  'WIDGET_MUTED',
  'OUTSIDE_WIDGET_GROUP',
  'ADDON_DISABLED',
  'ADDON_EVENT_UNSUPPORTED',
  'ADDON_EVENT_NOT_CHOSEN',
] as const;
export type Reason = (typeof REASONS)[number];

export const CHECKS = [
  'CHANNEL_AVAILABLE',
  'ROLE_ENABLED',
  'ADMIN_LOCK',
  'OPERATOR_PREFERENCE',
  'OUTSIDE_QUIET_TIME',
  'WIDGET_SWITCH',
  'WIDGET_GROUP',
  'ADDON_ENABLED',
  'ADDON_SUPPORTS_EVENT',
  'ADDON_CHOSE_EVENT',
] as const;
export type CheckName = (typeof CHECKS)[number];

/** The reason a decision gets when `check` is the first one to fail. */
export const FAILURE_REASONS: Readonly<Record<CheckName, Exclude<Reason, 'DELIVERED'>>> = Object.freeze({
  CHANNEL_AVAILABLE: 'CHANNEL_NOT_AVAILABLE',
  ROLE_ENABLED: 'ROLE_DISABLED',
  ADMIN_LOCK: 'LOCKED_OFF',
  OPERATOR_PREFERENCE: 'OPERATOR_OPTED_OUT',
  OUTSIDE_QUIET_TIME: 'QUIET_TIME',
  WIDGET_SWITCH: 'WIDGET_MUTED',
  WIDGET_GROUP: 'OUTSIDE_WIDGET_GROUP',
  ADDON_ENABLED: 'ADDON_DISABLED',
  ADDON_SUPPORTS_EVENT: 'ADDON_EVENT_UNSUPPORTED',
  ADDON_CHOSE_EVENT: 'ADDON_EVENT_NOT_CHOSEN',
});

export interface CheckResult {
  readonly check: CheckName;
  readonly passed: boolean;
  /** ADMIN_LOCK only: the lock that applied (passed when REQUIRED). */
  readonly lock?: AppliedLock;
}

/**
 * The subject is the receiver (NEW_CHAT_SESSION, ALL_NEW_CHAT_SESSIONS), the chat's operator
 * (message events) or the operator whose presence changed (OPERATOR_*); null when there is none.
 */
export interface EventToDecide {
  kind: NotificationEventKind;
  widgetId: string | null;
  subjectOperatorId: string | null;
  /** For an ESCALATION audience (CHAT_NOT_ACKNOWLEDGED): its members, fixed when it was raised (escalationAudience). */
  audienceOperatorIds?: readonly string[] | null;
}

/** `preferences` are this operator's for the event being decided only; a missing channel is opted out. */
export interface OperatorSettings {
  id: string;
  roleNotificationsEnabled: boolean;
  groupIds: readonly string[];
  preferences: Partial<Record<OperatorChannel, boolean>>;
  /** Admin locks of the event being decided that apply to this operator (E1); none when absent. */
  locks?: ChannelLocks;
}

export interface WidgetSettings {
  id: string;
  groupId: string | null;
  email: boolean;
  browser: boolean;
  addons: boolean;
  emailSameGroupOnly: boolean;
}

export interface AddonSettings {
  id: string;
  kind: AddonKind;
  enabled: boolean;
  events: readonly NotificationEventKind[];
}

/** Everything the rule reads, for one organization; `widget` is the event's widget, if any. */
export interface SettingsSnapshot {
  operators: readonly OperatorSettings[];
  widget: WidgetSettings | null;
  addons: readonly AddonSettings[];
  /** Operators in quiet time at the event's moment (E2); nobody when absent. */
  quietOperatorIds?: ReadonlySet<string>;
}

export type DecisionTarget = { kind: 'OPERATOR'; operatorId: string } | { kind: 'ADDON'; addonId: string };

export interface Decision {
  target: DecisionTarget;
  channel: Channel;
  delivered: boolean;
  reason: Reason;
  trace: readonly CheckResult[];
}

export interface DecideOptions {
  /** Operator channels to decide; all of them by default. Addons are always decided. */
  channels?: readonly OperatorChannel[];
}

type OperatorCheckName =
  | 'CHANNEL_AVAILABLE'
  | 'ROLE_ENABLED'
  | 'ADMIN_LOCK'
  | 'OPERATOR_PREFERENCE'
  | 'OUTSIDE_QUIET_TIME'
  | 'WIDGET_SWITCH'
  | 'WIDGET_GROUP';
type AddonCheckName = 'CHANNEL_AVAILABLE' | 'ADDON_ENABLED' | 'ADDON_SUPPORTS_EVENT' | 'ADDON_CHOSE_EVENT' | 'WIDGET_SWITCH';

/** What a check needs besides its subject: fixed for one event on one channel. */
interface ChannelContext {
  readonly kind: NotificationEventKind;
  readonly channel: Channel;
  readonly available: boolean;
  readonly switchOn: boolean;
  readonly groupId: string | null;
  readonly quiet: ReadonlySet<string>;
}

type Check<S> = (subject: S, context: ChannelContext) => boolean;

const OPERATOR_CHECKS: Readonly<Record<OperatorCheckName, Check<OperatorSettings>>> = {
  CHANNEL_AVAILABLE: (_, context) => context.available,
  ROLE_ENABLED: (operator) => operator.roleNotificationsEnabled,
  ADMIN_LOCK: (operator, context) => operator.locks?.[context.channel as OperatorChannel]?.value !== 'FORBIDDEN',
  OUTSIDE_QUIET_TIME: (operator, context) => !context.quiet.has(operator.id),
  OPERATOR_PREFERENCE: (operator, context) => operator.preferences[context.channel as OperatorChannel] === true,
  WIDGET_SWITCH: (_, context) => context.switchOn,
  WIDGET_GROUP: (operator, context) => context.groupId !== null && operator.groupIds.includes(context.groupId),
};

const ADDON_CHECKS: Readonly<Record<AddonCheckName, Check<AddonSettings>>> = {
  CHANNEL_AVAILABLE: (_, context) => context.available,
  ADDON_ENABLED: (addon) => addon.enabled,
  ADDON_SUPPORTS_EVENT: (addon, context) => isEventSupportedByAddon(addon.kind, context.kind),
  ADDON_CHOSE_EVENT: (addon, context) => addon.events.includes(context.kind),
  WIDGET_SWITCH: (_, context) => context.switchOn,
};

interface Outcome {
  readonly delivered: boolean;
  readonly reason: Reason;
  readonly trace: readonly CheckResult[];
}

/** The checks that apply to one event on one channel, each with the outcome of failing it. */
interface Plan<N extends CheckName> {
  readonly steps: readonly { readonly check: N; readonly failure: Outcome }[];
  readonly delivered: Outcome;
}

const PLANS = new Map<string, Plan<CheckName>>();

/** `lock`: the lock the ADMIN_LOCK step shows, when it is among the checks. */
function planFor<N extends CheckName>(checks: readonly N[], lock: AppliedLock | null = null): Plan<N> {
  const key = lock === null ? checks.join() : `${checks.join()}|${lock.scope}_${lock.value}`;
  let plan = PLANS.get(key);
  if (plan === undefined) {
    plan = buildPlan(checks, lock);
    PLANS.set(key, plan);
  }
  return plan as Plan<N>;
}

/** Every trace built, by content: plans that share a prefix (with or without quiet time) share its traces. */
const TRACES = new Map<string, readonly CheckResult[]>();

function buildPlan<N extends CheckName>(checks: readonly N[], lock: AppliedLock | null): Plan<N> {
  const result = (check: N, passed: boolean): CheckResult =>
    Object.freeze(check === 'ADMIN_LOCK' && lock !== null ? { check, passed, lock } : { check, passed });
  const traceEndingAt = (last: number, passed: boolean): readonly CheckResult[] => {
    const steps = checks.slice(0, last + 1);
    const key = `${steps.join()}|${steps.includes('ADMIN_LOCK' as N) && lock !== null ? `${lock.scope}_${lock.value}` : ''}|${passed}`;
    let trace = TRACES.get(key);
    if (trace === undefined) {
      trace = Object.freeze(steps.map((check, i) => result(check, passed || i < last)));
      TRACES.set(key, trace);
    }
    return trace;
  };
  const steps = checks.map((check, i) =>
    Object.freeze({
      check,
      failure: Object.freeze({ delivered: false, reason: FAILURE_REASONS[check], trace: traceEndingAt(i, false) }),
    }),
  );
  const delivered = Object.freeze({
    delivered: true,
    reason: 'DELIVERED' as const,
    trace: traceEndingAt(checks.length - 1, true),
  });
  return Object.freeze({ steps: Object.freeze(steps), delivered });
}

type WidgetOption = Pick<WidgetSettings, 'emailSameGroupOnly'> | null;

function operatorChecksFor(
  kind: NotificationEventKind,
  channel: OperatorChannel,
  widget: WidgetOption,
  lock: AppliedLock | null = null,
  quiet = false,
): OperatorCheckName[] {
  const checks: OperatorCheckName[] = ['CHANNEL_AVAILABLE', 'ROLE_ENABLED'];
  if (lock !== null) checks.push('ADMIN_LOCK');
  if (lock?.value !== 'REQUIRED') {
    checks.push('OPERATOR_PREFERENCE');
    if (quiet && channel !== 'EMAIL') checks.push('OUTSIDE_QUIET_TIME');
  }
  if (widget !== null && findMutingSwitch(kind, channel) !== null) checks.push('WIDGET_SWITCH');
  if (widget?.emailSameGroupOnly === true && channel === 'EMAIL' && SAME_GROUP_EMAIL_EVENTS.includes(kind)) {
    checks.push('WIDGET_GROUP');
  }
  return checks;
}

function addonChecksFor(kind: NotificationEventKind, widget: WidgetOption): AddonCheckName[] {
  const checks: AddonCheckName[] = ['CHANNEL_AVAILABLE', 'ADDON_ENABLED', 'ADDON_SUPPORTS_EVENT', 'ADDON_CHOSE_EVENT'];
  if (widget !== null && findMutingSwitch(kind, 'ADDON') !== null) checks.push('WIDGET_SWITCH');
  return checks;
}

/** One channel of one event, ready to be run against many subjects. */
interface ChannelRun<S> {
  readonly context: ChannelContext;
  readonly steps: readonly { readonly test: Check<S>; readonly failure: Outcome }[];
  readonly delivered: Outcome;
}

function prepareRun<N extends CheckName, S>(plan: Plan<N>, tests: Readonly<Record<N, Check<S>>>, context: ChannelContext): ChannelRun<S> {
  const steps = plan.steps.map(({ check, failure }) => ({ test: tests[check], failure }));
  return { context, steps, delivered: plan.delivered };
}

const NOBODY: ReadonlySet<string> = new Set();

function contextFor(kind: NotificationEventKind, channel: Channel, widget: WidgetSettings | null, quiet = NOBODY): ChannelContext {
  const mutingSwitch = findMutingSwitch(kind, channel);
  return {
    kind,
    channel,
    available: isChannelAvailable(kind, channel),
    switchOn: widget === null || mutingSwitch === null || widget[mutingSwitch],
    groupId: widget?.groupId ?? null,
    quiet,
  };
}

/**
 * The runs of one operator channel of one event: the base rule's, and, built on first use, one per
 * lock and quiet-time variant (a handful), so deciding 1,000 operators builds no more than that.
 */
function operatorRunsFor(kind: NotificationEventKind, channel: OperatorChannel, widget: WidgetSettings | null, quiet: ReadonlySet<string>) {
  const context = contextFor(kind, channel, widget, quiet);
  const base = prepareRun(planFor(operatorChecksFor(kind, channel, widget)), OPERATOR_CHECKS, context);
  const variants = new Map<string, ChannelRun<OperatorSettings>>();
  return (operator: OperatorSettings): ChannelRun<OperatorSettings> => {
    const lock = operator.locks?.[channel] ?? null;
    const isQuiet = quiet.size > 0 && quiet.has(operator.id);
    if (lock === null && !isQuiet) return base;
    const key = `${lock?.scope ?? ''}_${lock?.value ?? ''}_${isQuiet}`;
    let run = variants.get(key);
    if (run === undefined) {
      run = prepareRun(planFor(operatorChecksFor(kind, channel, widget, lock, isQuiet), lock), OPERATOR_CHECKS, context);
      variants.set(key, run);
    }
    return run;
  };
}

function decide<S>(run: ChannelRun<S>, subject: S, target: DecisionTarget): Decision {
  let outcome = run.delivered;
  for (const step of run.steps) {
    if (!step.test(subject, run.context)) {
      outcome = step.failure;
      break;
    }
  }
  return {
    target,
    channel: run.context.channel,
    delivered: outcome.delivered,
    reason: outcome.reason,
    trace: outcome.trace,
  };
}

function isMember(audience: Audience, subjectId: string | null, operatorId: string, members?: readonly string[] | null): boolean {
  switch (audience) {
    case 'ESCALATION':
      return members?.includes(operatorId) ?? false;
    case 'RECEIVER':
    case 'CHAT_OPERATOR':
      return operatorId === subjectId;
    case 'ALL_BUT_RECEIVER':
    case 'ALL_BUT_SUBJECT':
      return operatorId !== subjectId;
    case 'ALL':
      return true;
  }
}

/**
 * Whether the operator is in the event's audience. Without a subject, subject-only audiences
 * (RECEIVER, CHAT_OPERATOR) are empty and "all but the subject" means everyone.
 */
export function isInAudience(
  event: Pick<EventToDecide, 'kind' | 'subjectOperatorId' | 'audienceOperatorIds'>,
  operatorId: string,
): boolean {
  return isMember(EVENT_CATALOG[event.kind].audience, event.subjectOperatorId, operatorId, event.audienceOperatorIds);
}

/** The operators among `operatorIds` who are in the event's audience, in the given order. */
export function audienceOf(
  event: Pick<EventToDecide, 'kind' | 'subjectOperatorId' | 'audienceOperatorIds'>,
  operatorIds: readonly string[],
): string[] {
  return operatorIds.filter((operatorId) => isInAudience(event, operatorId));
}

function widgetOf(event: EventToDecide, snapshot: SettingsSnapshot): WidgetSettings | null {
  const { widget } = snapshot;
  // Deciding with another widget's switches would silently mute or unmute: a caller bug.
  if (widget !== null && widget.id !== event.widgetId) {
    throw new Error(`Snapshot widget ${widget.id} is not the event's widget (${event.widgetId ?? 'none'})`);
  }
  return widget;
}

/**
 * Decides every operator channel of every operator in the event's audience, then every addon.
 * Operators are decided in snapshot order, channels in `options.channels` order, addons last.
 */
export function decideNotifications(event: EventToDecide, snapshot: SettingsSnapshot, options: DecideOptions = {}): Decision[] {
  const { kind, subjectOperatorId, audienceOperatorIds } = event;
  const widget = widgetOf(event, snapshot);
  const audience = EVENT_CATALOG[kind].audience;
  const quiet = snapshot.quietOperatorIds ?? NOBODY;
  const operatorRuns = (options.channels ?? OPERATOR_CHANNELS).map((channel) => operatorRunsFor(kind, channel, widget, quiet));
  const decisions: Decision[] = [];
  for (const operator of snapshot.operators) {
    if (!isMember(audience, subjectOperatorId, operator.id, audienceOperatorIds)) continue;
    const target: DecisionTarget = { kind: 'OPERATOR', operatorId: operator.id };
    for (const runOf of operatorRuns) decisions.push(decide(runOf(operator), operator, target));
  }
  if (snapshot.addons.length > 0) {
    const addonRun = prepareRun(planFor(addonChecksFor(kind, widget)), ADDON_CHECKS, contextFor(kind, 'ADDON', widget));
    for (const addon of snapshot.addons) decisions.push(decide(addonRun, addon, { kind: 'ADDON', addonId: addon.id }));
  }
  return decisions;
}

/**
 * The reason alone for every operator of the snapshot on each of `channels`, as if every one were in
 * the audience, operator by operator: `reasons[i * channels.length + c]`. The same rule as
 * decideNotifications without building decisions, for the impact preview's 100,000 cells.
 */
export function decideReasons(event: EventToDecide, snapshot: SettingsSnapshot, channels: readonly OperatorChannel[]): Reason[] {
  const widget = widgetOf(event, snapshot);
  const quiet = snapshot.quietOperatorIds ?? NOBODY;
  const runs = channels.map((channel) => operatorRunsFor(event.kind, channel, widget, quiet));
  const reasons: Reason[] = new Array(snapshot.operators.length * channels.length);
  let i = 0;
  for (const operator of snapshot.operators) {
    for (const runOf of runs) {
      const run = runOf(operator);
      let reason: Reason = 'DELIVERED';
      for (const step of run.steps) {
        if (!step.test(operator, run.context)) {
          reason = step.failure.reason;
          break;
        }
      }
      reasons[i++] = reason;
    }
  }
  return reasons;
}

/** The lock a decision's trace shows, if any. */
export function lockOfDecision(decision: Pick<Decision, 'trace'>): AppliedLock | null {
  for (const step of decision.trace) if (step.lock !== undefined) return step.lock;
  return null;
}

/**
 * Rebuilds the trace of a stored decision from its reason. Which checks ran depends on whether the
 * event came through a widget and on that widget's emailSameGroupOnly, so pass the widget as it was
 * when the decision was taken (null when the event came through none), and the lock stored with the
 * decision (quiet time shows in the reason itself). Returns the same shared array the engine
 * returned. Throws when the reason cannot arise for that event and channel.
 */
export function traceFor(
  reason: Reason,
  channel: Channel,
  kind: NotificationEventKind,
  widget: Pick<WidgetSettings, 'emailSameGroupOnly'> | null,
  lock: AppliedLock | null = null,
): readonly CheckResult[] {
  const plan: Plan<CheckName> =
    channel === 'ADDON'
      ? planFor(addonChecksFor(kind, widget))
      : planFor(operatorChecksFor(kind, channel, widget, lock, reason === 'QUIET_TIME'), lock);
  const step = plan.steps.find(({ failure }) => failure.reason === reason);
  if (reason === 'DELIVERED' && isChannelAvailable(kind, channel)) return plan.delivered.trace;
  if (step === undefined) {
    throw new Error(`${reason} cannot be the reason for ${kind} on ${channel} ${widget === null ? 'without' : 'through'} a widget`);
  }
  return step.failure.trace;
}
