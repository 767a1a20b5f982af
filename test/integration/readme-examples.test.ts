/**
 * Every ```graphql block of README.md, run in order against a real server (issue 9, part 4), as a
 * newcomer would paste them into GraphiQL: each block is one complete operation whose first line
 * says whose credential it needs (`# as the admin|integrator|operator`); `<placeholders>` are filled
 * from the answers of the blocks before it. A block that does not validate (a field without its
 * selection set), answers an error or an AppError, or names an unknown placeholder fails the test.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The blocks, dedented (they sit in list items). */
function graphqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^([ \t]*)```graphql\n([\s\S]*?)^[ \t]*```/gm)].map(([, indent = '', body = '']) =>
    body
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n')
      .trim(),
  );
}

type Answer = Record<string, unknown>;
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);

/** What each operation's answer gives the blocks after it. */
const GIVES: Record<string, (data: Answer) => Record<string, string>> = {
  Roles: (data) => ({
    'Operator role id': String(
      (at(data, 'roles', 'edges') as { node: { id: string; name: string } }[]).find((e) => e.node.name === 'Operator')?.node.id,
    ),
  }),
  CreateWidget: (data) => ({ 'widget id': String(at(data, 'createWidget', 'data', 'id')) }),
  CreateOperator: (data) => ({ 'operator id': String(at(data, 'createOperator', 'data', 'id')) }),
  IssueOperatorToken: (data) => ({ 'operator token': String(at(data, 'issueOperatorToken', 'data', 'token')) }),
  ReportChatStarted: (data) => ({
    'event id': String(
      (at(data, 'reportChatStarted', 'data', 'events') as { id: string; kind: string }[]).find((e) => e.kind === 'NEW_CHAT_SESSION')?.id,
    ),
  }),
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('README.md', () => {
  it('every GraphQL example is one complete operation that runs, in order, against a real server', async () => {
    const blocks = graphqlBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const org = await server.newOrganization();
    const values: Record<string, string> = {};
    const credentials: Record<string, () => string | undefined> = {
      admin: () => org.adminToken,
      integrator: () => org.apiKey,
      operator: () => values['operator token'],
    };
    const answers: Record<string, Answer> = {};
    for (const block of blocks) {
      const who = /^# as the (\w+)/.exec(block)?.[1] ?? '';
      expect(Object.keys(credentials), `first line of:\n${block}`).toContain(who);
      const name = /^(?:query|mutation)\s+(\w+)/m.exec(block)?.[1] ?? '';
      expect(name, `a named query or mutation:\n${block}`).not.toBe('');
      const query = block.replace(/<([^<>"]+)>/g, (placeholder, key: string) => {
        expect(values, `placeholder ${placeholder} in ${name}`).toHaveProperty([key]);
        return values[key] ?? '';
      });
      const answer = await server.gql<Answer>(query, {}, credentials[who]?.());
      expect(answer.errors, `${name}: ${JSON.stringify(answer.errors)}`).toBeUndefined();
      const data = answer.data ?? {};
      for (const [field, value] of Object.entries(data)) expect(at(value, 'code'), `${name}.${field} answered an AppError`).toBeUndefined();
      Object.assign(values, GIVES[name]?.(data) ?? {});
      answers[name] = data;
    }

    // What the session shows a newcomer.
    expect(at(answers.Inbox, 'inboxUnreadCount')).toBe(1);
    expect(at(answers.Inbox, 'inbox', 'edges', 0, 'node', 'event')).toBe('NEW_CHAT_SESSION');
    const explained = at(answers.ExplainEvent, 'explainEvent', 'data', 'decisions') as {
      operator: { name: string } | null;
      channel: string;
      reason: string;
    }[];
    expect(explained.filter((d) => d.operator?.name === 'Olga').map((d) => [d.channel, d.reason])).toContainEqual(['BROWSER', 'DELIVERED']);
    const preview = at(answers.PreviewNotification, 'previewNotification', 'data') as { kind: string }[];
    expect(preview.map((e) => e.kind)).toContain('MESSAGE_RECEIVED');
  });

  it('the block reader finds indented blocks and leaves other languages alone', () => {
    const markdown = ['1. step', '   ```graphql', '   # as the admin', '   query A { a }', '   ```', '```js', 'x', '```'].join('\n');
    expect(graphqlBlocks(markdown)).toEqual(['# as the admin\nquery A { a }']);
  });
});
