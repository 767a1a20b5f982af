import { organizationOf } from '../../context.js';
import type { NotificationEventKind } from '../../domain/catalog.js';
import type { StreamPreferences } from '../../domain/decide-live-delivery.js';
import { defaultSoundOf } from '../../domain/render-notification.js';
import { AppError, notFound } from '../../errors.js';
import type { Operator } from '../../generated/prisma/client.js';
import { loadPreferenceGrid } from '../../services/preferences.js';
import { builder } from '../builder.js';
import { NotificationEventKindEnum, NotificationSoundEnum, OperatorChannelEnum, PresenceEnum } from './enums.js';
import { liveOf } from './notification-stream.js';
import { OperatorNode } from './operator.js';

interface LivePreference {
  event: NotificationEventKind;
  channel: 'BROWSER' | 'AUDIO';
  enabled: boolean;
  sound: string | null;
}

const LivePreferenceRef = builder.objectRef<LivePreference>('LivePreference').implement({
  description: 'One live-channel preference (BROWSER or AUDIO) of one event.',
  fields: (t) => ({
    event: t.field({ type: NotificationEventKindEnum, description: 'The notification event.', resolve: (p) => p.event }),
    channel: t.field({ type: OperatorChannelEnum, description: 'BROWSER or AUDIO.', resolve: (p) => p.channel }),
    enabled: t.exposeBoolean('enabled', { description: 'Whether it is on.' }),
    sound: t.field({
      type: NotificationSoundEnum,
      nullable: true,
      description: 'AUDIO: the sound played for the event (chosen in the "Audio" tab, else its own); null for BROWSER.',
      resolve: (p) => p.sound as never,
    }),
  }),
});

const OperatorPresenceRef = builder.objectRef<{ operator: Operator; openStreams: number }>('OperatorPresence').implement({
  description: "An operator's presence and live streams.",
  fields: (t) => ({
    operator: t.field({ type: OperatorNode, description: 'The operator.', resolve: (p) => p.operator }),
    presence: t.field({ type: PresenceEnum, description: 'ONLINE, AWAY or OFFLINE.', resolve: (p) => p.operator.presence }),
    openStreams: t.exposeInt('openStreams', { description: 'Notification streams the operator has open, on every instance.' }),
  }),
});

interface StreamInEffect {
  id: string;
  openedAt: Date;
  buffered: number | null;
  preferences: LivePreference[];
  differences: LivePreference[];
}

const StreamInEffectRef = builder.objectRef<StreamInEffect>('StreamInEffect').implement({
  description: 'One open notification stream and the preferences it evaluates with.',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'The stream (opaque; new on every connection).' }),
    openedAt: t.field({ type: 'DateTime', description: 'When it was opened.', resolve: (s) => s.openedAt }),
    bufferedItems: t.exposeInt('buffered', {
      nullable: true,
      description: 'Items waiting to be sent to the client; null for a stream on another instance.',
    }),
    preferences: t.field({
      type: [LivePreferenceRef],
      description: 'BROWSER and AUDIO preferences in effect on this stream.',
      resolve: (s) => s.preferences,
    }),
    differences: t.field({
      type: [LivePreferenceRef],
      description: 'Where this stream differs from the saved preferences (Dashboard changes made after it opened), with its own value.',
      resolve: (s) => s.differences,
    }),
  }),
});

const StreamsInEffectRef = builder
  .objectRef<{ operator: Operator; saved: LivePreference[]; streams: StreamInEffect[] }>('StreamsInEffect')
  .implement({
    description:
      'Why a change "did not work": the saved live preferences of an operator, and those in effect on each open stream. Dashboard changes reach new streams only; Chat Panel changes reach open streams at once.',
    fields: (t) => ({
      operator: t.field({ type: OperatorNode, description: 'The operator.', resolve: (s) => s.operator }),
      saved: t.field({
        type: [LivePreferenceRef],
        description: 'The saved BROWSER and AUDIO preferences (new streams start with these).',
        resolve: (s) => s.saved,
      }),
      streams: t.field({
        type: [StreamInEffectRef],
        description: 'The open streams, on every instance (with several instances sharing Redis).',
        resolve: (s) => s.streams,
      }),
    }),
  });

type Pair = Omit<LivePreference, 'enabled' | 'sound'>;
const listOf = (prefs: StreamPreferences, pairs: readonly Pair[]): LivePreference[] =>
  pairs.map((p) => ({
    ...p,
    enabled: (p.channel === 'BROWSER' ? prefs.browser : prefs.audio).has(p.event),
    sound: p.channel === 'AUDIO' ? (prefs.sounds?.[p.event] ?? defaultSoundOf(p.event)) : null,
  }));

builder.queryField('operatorPresence', (t) =>
  t.field({
    type: [OperatorPresenceRef],
    description: "Every active operator of the caller's organization with their presence.",
    authScopes: { operator: true },
    resolve: async (_root, _args, ctx) => {
      const { live } = liveOf(ctx);
      const operators = await ctx.prisma.operator.findMany({
        where: { organizationId: organizationOf(ctx.viewer), deletedAt: null },
        orderBy: { createdAt: 'asc' },
      });
      const counts = await live.presence.openStreams(operators.map((o) => o.id));
      return operators.map((operator) => ({ operator, openStreams: counts.get(operator.id) ?? 0 }));
    },
  }),
);

builder.mutationField('setMyPresence', (t) =>
  t.field({
    type: OperatorNode,
    description: "Sets the calling operator's presence: AWAY and back to ONLINE raise OPERATOR_AWAY / OPERATOR_BACK; OFFLINE logs off.",
    authScopes: { operator: true },
    errors: {},
    args: { presence: t.arg({ type: PresenceEnum, required: true, description: 'The new presence.' }) },
    resolve: async (_root, { presence }, ctx) => {
      const { viewer, live } = liveOf(ctx);
      await live.presence.set(viewer.organizationId, viewer.operatorId, presence);
      return ctx.prisma.operator.findUniqueOrThrow({ where: { id: viewer.operatorId } });
    },
  }),
);

builder.queryField('streamsInEffect', (t) =>
  t.field({
    type: StreamsInEffectRef,
    description:
      'The saved live preferences of an operator and those in effect on each of their open streams. Admins may ask about any operator.',
    authScopes: { operator: true },
    args: { operatorId: t.arg.globalID({ for: OperatorNode, description: 'The operator (admins only); the caller by default.' }) },
    resolve: async (_root, { operatorId }, ctx) => {
      const { viewer, live } = liveOf(ctx);
      const id = operatorId?.id ?? viewer.operatorId;
      if (id !== viewer.operatorId && !viewer.isAdmin) {
        throw new AppError('FORBIDDEN', "Only admins may see another operator's streams", 'operatorId');
      }
      const operator = await ctx.prisma.operator.findFirst({ where: { id, organizationId: viewer.organizationId } });
      if (!operator) throw notFound('Operator', 'operatorId');
      const grid = await loadPreferenceGrid(ctx.prisma, viewer.organizationId, id);
      const events = grid.flatMap((c): Pair[] =>
        c.channel === 'BROWSER' || c.channel === 'AUDIO' ? [{ event: c.event, channel: c.channel }] : [],
      );
      const savedPrefs: StreamPreferences = {
        browser: new Set(grid.filter((c) => c.channel === 'BROWSER' && c.enabled).map((c) => c.event)),
        audio: new Set(grid.filter((c) => c.channel === 'AUDIO' && c.enabled).map((c) => c.event)),
        sounds: Object.fromEntries(grid.flatMap((c) => (c.channel === 'AUDIO' && c.sound !== null ? [[c.event, c.sound]] : []))),
      };
      const saved = listOf(savedPrefs, events);
      const streams = (await live.streamsOf(id)).map((stream) => {
        const preferences = listOf(stream.preferences, events);
        const differences = preferences.filter((p, i) => p.enabled !== saved[i]?.enabled || p.sound !== saved[i]?.sound);
        return { id: stream.id, openedAt: stream.openedAt, buffered: stream.buffered, preferences, differences };
      });
      return { operator, saved, streams };
    },
  }),
);
