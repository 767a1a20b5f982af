/**
 * The stored payload of a happening is what a JSON round trip makes of its input, less its
 * idempotency key: the copy that skips the round trip for flat inputs must not differ from it
 * (a replayed key compares hashes of it: replay-happenings.ts).
 */
import { describe, expect, it } from 'vitest';
import type { HappeningInput } from '../../../../src/domain/derive-events.js';
import { payloadHash, storedPayload } from '../../../../src/services/ingestion/validate-happenings.js';

const roundTrip = (input: HappeningInput) => {
  const { idempotencyKey: _key, ...rest } = input;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
};

const inputs = [
  { kind: 'VISITOR_MESSAGE', chatId: 'c-1', text: 'Hello', idempotencyKey: 'k-1' },
  { kind: 'VISITOR_MESSAGE', chatId: 'c-1', text: 'Hello' },
  { kind: 'CHAT_STARTED', chatId: 'c-2', widgetId: 'w', operatorId: 'o', visitorName: undefined, visitorEmail: null, idempotencyKey: null },
  { kind: 'CHAT_RATED', chatId: 'c-3', rating: 4, comment: undefined },
  { kind: 'CHAT_RATED', chatId: 'c-3', rating: Number.NaN },
  { kind: 'SURVEY_ANSWERED', chatId: 'c-4', answers: [{ question: 'Q', answer: 'A' }] },
  {
    kind: 'CHAT_FINISHED',
    chatId: 'c-5',
    summary: 'S',
    transcript: [{ from: 'VISITOR', text: 'hi', at: new Date('2026-01-02T03:04:05Z') }],
  },
  { kind: 'ANALYTICS_DAILY', day: '2026-01-02', at: new Date('2026-01-02T00:00:00Z') },
] as unknown as HappeningInput[];

describe('storedPayload', () => {
  it.each(inputs.map((input) => [input.kind, input] as const))(
    '%s: the JSON round trip of the input, key order and hash included',
    (_kind, input) => {
      const stored = storedPayload(input);
      expect(stored).toStrictEqual(roundTrip(input));
      expect(Object.keys(stored)).toEqual(Object.keys(roundTrip(input)));
      expect(JSON.stringify(stored)).toBe(JSON.stringify(roundTrip(input)));
      expect(payloadHash(stored)).toBe(payloadHash(roundTrip(input)));
    },
  );

  it('is a copy: changing it leaves the input alone', () => {
    const input = { kind: 'VISITOR_MESSAGE', chatId: 'c', text: 't' } as HappeningInput;
    storedPayload(input).text = 'changed';
    expect(input).toMatchObject({ text: 't' });
  });
});
