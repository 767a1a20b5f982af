/**
 * The limits table (src/domain/input-limits.ts) against the real schema: every kind has a number
 * and a reason, every field name it lists exists, and the only string inputs left to the default
 * are the ones known to be short by nature, so a new free-text field cannot slip in unclassified.
 */
import { getNamedType, isInputObjectType, isScalarType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { INPUT_FIELD_KINDS, INPUT_LIMITS, inputLimitOf } from '../../../src/domain/input-limits.js';
import { schema } from '../../../src/graphql/schema.js';

const inputFields = Object.values(schema.getTypeMap())
  .filter(isInputObjectType)
  .flatMap((type) => Object.values(type.getFields()).map((field) => ({ type: type.name, name: field.name, of: getNamedType(field.type) })));

describe('input limits', () => {
  it('give every kind a positive limit and a reason', () => {
    for (const [kind, limit] of Object.entries(INPUT_LIMITS)) {
      expect(limit.max, kind).toBeGreaterThan(0);
      expect(limit.reason.length, kind).toBeGreaterThan(10);
    }
  });

  it('name only fields the schema has', () => {
    const names = new Set(inputFields.map((f) => f.name));
    expect(Object.keys(INPUT_FIELD_KINDS).filter((name) => !names.has(name))).toEqual([]);
  });

  it('classify every free-text input field; only short-by-nature strings take the default', () => {
    const defaulted = inputFields
      .filter((f) => isScalarType(f.of) && f.of.name === 'String' && inputLimitOf(f.name, 'string').kind === 'shortText')
      .map((f) => `${f.type}.${f.name}`)
      .sort();
    expect(defaulted).toEqual([
      'QuietWindowInput.end',
      'QuietWindowInput.start',
      'SetQuietTimeInput.timeZone',
      'UpdateOrganizationInput.dailySummaryTime',
      'UpdateOrganizationInput.timeZone',
    ]);
  });

  it('choose a list kind for lists and a string kind for strings of the same name', () => {
    expect(inputLimitOf('answers', 'list')).toEqual({ kind: 'surveyAnswers', max: INPUT_LIMITS.surveyAnswers.max });
    expect(inputLimitOf('answers', 'string').kind).toBe('shortText');
    expect(inputLimitOf('memberIds', 'list').kind).toBe('list');
    expect(inputLimitOf('text', 'string').kind).toBe('text');
    expect(inputLimitOf('anything', 'id').kind).toBe('globalId');
  });
});
