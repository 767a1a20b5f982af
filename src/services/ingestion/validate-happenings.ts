/**
 * Shape checks of reported happenings, before anything is read or written: a malformed input is
 * refused with INVALID_INPUT and the path of the field at fault (`happenings.3.text`). Lengths are
 * not checked here: every text and list of the API is bounded where it enters (TOO_LONG, by
 * src/domain/input-limits.ts through the GraphQL input checks), before this runs.
 */
import { createHash } from 'node:crypto';
import type { HappeningInput } from '../../domain/derive-events.js';
import { AppError, invalidInput } from '../../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const fieldOf = (index: number, field: string) => `happenings.${index}.${field}`;

function text(value: string, path: string): void {
  if (value.trim() === '') throw invalidInput(`${path} must not be empty`, path);
}

/** An id that is not a UUID names nothing: NOT_FOUND, like an unknown one. */
function id(value: string, path: string, what: string): void {
  if (!UUID.test(value)) throw new AppError('NOT_FOUND', `${what} does not exist in this organization`, path);
}

function validateOne(input: HappeningInput, at: (field: string) => string): void {
  if (input.idempotencyKey === '') throw invalidInput('idempotencyKey must not be empty', at('idempotencyKey'));
  if ('chatId' in input) text(input.chatId, at('chatId'));
  switch (input.kind) {
    case 'CHAT_STARTED':
      id(input.widgetId, at('widgetId'), 'Widget');
      id(input.operatorId, at('operatorId'), 'Operator');
      return;
    case 'VISITOR_MESSAGE':
    case 'OPERATOR_MESSAGE':
    case 'FEEDBACK_GIVEN':
      text(input.text, at('text'));
      return;
    case 'CHAT_FORWARDED':
      id(input.toOperatorId, at('toOperatorId'), 'Operator');
      return;
    case 'CHAT_RATED':
      if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) {
        throw invalidInput('rating must be a whole number from 1 to 5', at('rating'));
      }
      return;
    case 'SURVEY_ANSWERED':
      if (input.answers.length === 0) throw invalidInput('answers must not be empty', at('answers'));
      input.answers.forEach((answer, i) => {
        text(answer.question, at(`answers.${i}.question`));
        text(answer.answer, at(`answers.${i}.answer`));
      });
      return;
    case 'GOAL_REACHED':
      text(input.goal, at('goal'));
      return;
    case 'CHAT_FINISHED':
      input.transcript?.forEach((line, i) => {
        text(line.text, at(`transcript.${i}.text`));
      });
      return;
    case 'OFFLINE_MESSAGE':
      id(input.widgetId, at('widgetId'), 'Widget');
      text(input.text, at('text'));
      return;
    case 'PRESENCE_CHANGED':
      id(input.operatorId, at('operatorId'), 'Operator');
      return;
    case 'SYSTEM_MESSAGE':
      text(input.title, at('title'));
      text(input.body, at('body'));
      return;
    case 'WIDGET_CHANGED':
      id(input.widgetId, at('widgetId'), 'Widget');
      return;
    case 'CHAT_NOT_ACKNOWLEDGED':
      return;
    case 'ANALYTICS_DAILY':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(input.day)) throw invalidInput('day must be YYYY-MM-DD', at('day'));
      return;
  }
}

/** Throws the first problem found; a batch is empty, too large, or repeats an idempotency key. */
export function validateHappenings(inputs: readonly HappeningInput[], maxBatchSize: number): void {
  if (inputs.length === 0) throw invalidInput('Report at least one happening', 'happenings');
  if (inputs.length > maxBatchSize) throw invalidInput(`At most ${maxBatchSize} happenings per batch`, 'happenings');
  const keys = new Set<string>();
  inputs.forEach((input, index) => {
    validateOne(input, (field) => fieldOf(index, field));
    const key = input.idempotencyKey;
    if (key === null || key === undefined) return;
    if (keys.has(key)) throw invalidInput('The same idempotency key twice in one batch', fieldOf(index, 'idempotencyKey'));
    keys.add(key);
  });
}

/** A value JSON keeps as it is (undefined: JSON leaves the key out). */
const isPlainJson = (value: unknown) =>
  value === null ||
  value === undefined ||
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));

/**
 * The happening as stored: its input without the idempotency key, dates as ISO strings (what a
 * JSON round trip makes of it). Most inputs hold only strings: copied as they are, without the
 * round trip (it ran for every report).
 */
export function storedPayload(input: HappeningInput): Record<string, unknown> {
  const stored: Record<string, unknown> = {};
  for (const key in input) {
    if (key === 'idempotencyKey' || !Object.hasOwn(input, key)) continue;
    const value = (input as Record<string, unknown>)[key];
    if (!isPlainJson(value)) {
      const { idempotencyKey: _key, ...rest } = input;
      return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
    }
    if (value !== undefined) stored[key] = value;
  }
  return stored;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Same happening ⇔ same hash: key order and absent-versus-null optional fields do not count. */
export function payloadHash(payload: Record<string, unknown>): string {
  return createHash('sha256').update(canonical(payload)).digest('hex');
}
