/**
 * Which documents may keep their cost per document (operation-cost.ts): those whose variables reach
 * no argument the estimate reads and no directive. Over the real schema.
 */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { costDependsOnVariables } from '../../../src/graphql/operation-cost.js';
import { schema } from '../../../src/graphql/schema.js';

const depends = (query: string) => costDependsOnVariables(schema, parse(query));

describe('costDependsOnVariables', () => {
  it.each([
    [
      'a report mutation with its input as a variable',
      'mutation ($input: ReportVisitorMessageInput!) { reportVisitorMessage(input: $input) { __typename } }',
      false,
    ],
    ['no variables at all', '{ roles(first: 5) { edges { node { id } } } }', false],
    ['a page size', 'query ($n: Int) { roles(first: $n) { edges { node { id } } } }', true],
    ['a page size inside a fragment', 'query ($n: Int) { ...R } fragment R on Query { roles(first: $n) { edges { node { id } } } }', true],
    ["a list's ids", 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', true],
    ["a list's ids inside a list value", 'query ($id: ID!) { nodes(ids: [$id, $id]) { id } }', true],
    ['@include', 'query ($a: Boolean!) { roles(first: 5) @include(if: $a) { edges { node { id } } } }', true],
    [
      '@skip on a fragment spread',
      'query ($a: Boolean!) { ...R @skip(if: $a) } fragment R on Query { roles { edges { node { id } } } }',
      true,
    ],
  ])('%s: %s', (_name, query, expected) => {
    expect(depends(query)).toBe(expected);
  });
});
