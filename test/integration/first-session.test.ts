/**
 * The README's first session end to end, with the typed documents codegen makes from
 * test/operations/first-session.graphql: an admin sets up a widget and an operator, an integrator
 * reports a chat, and the admin asks why each operator was (not) notified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateOperatorDocument,
  CreateWidgetDocument,
  ExplainEventDocument,
  ReportChatStartedDocument,
  RolesDocument,
} from '../generated/graphql.js';
import { sendTyped, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('first session (typed documents)', () => {
  it('reports a chat and explains every decision', async () => {
    const org = await server.newOrganization();
    const roles = await sendTyped(server, RolesDocument, {}, org.adminToken);
    const operatorRole = roles.data?.roles.edges.find((e) => !e.node.isAdmin)?.node;
    expect(operatorRole?.notificationsEnabled).toBe(true);

    const widget = await sendTyped(server, CreateWidgetDocument, { input: { name: 'Website' } }, org.adminToken);
    if (widget.data?.createWidget.__typename !== 'MutationCreateWidgetSuccess') throw new Error(JSON.stringify(widget));
    const operator = await sendTyped(server, CreateOperatorDocument, { input: { name: 'Olga', roleId: operatorRole!.id } }, org.adminToken);
    if (operator.data?.createOperator.__typename !== 'MutationCreateOperatorSuccess') throw new Error(JSON.stringify(operator));
    const olga = operator.data.createOperator.data;

    const input = { chatId: 'chat-1', widgetId: widget.data.createWidget.data.id, operatorId: olga.id, idempotencyKey: 'chat-1-start' };
    const reported = await sendTyped(server, ReportChatStartedDocument, { input }, org.apiKey);
    if (reported.data?.reportChatStarted.__typename !== 'MutationReportChatStartedSuccess') throw new Error(JSON.stringify(reported));
    const { events, replayed } = reported.data.reportChatStarted.data;
    expect(replayed).toBe(false);
    expect(events.map((e) => e.kind)).toEqual(['NEW_CHAT_SESSION', 'ALL_NEW_CHAT_SESSIONS']);
    const newChat = events[0]!;
    // The receiver gets the new chat in the browser and by sound (product defaults)…
    expect(newChat.decisions.filter((d) => d.operator?.id === olga.id).map((d) => [d.channel, d.reason])).toEqual([
      ['BROWSER', 'DELIVERED'],
      ['AUDIO', 'DELIVERED'],
    ]);
    // …and the admin is told about it through ALL_NEW_CHAT_SESSIONS, not NEW_CHAT_SESSION.
    expect(newChat.decisions.some((d) => d.operator?.id !== olga.id && d.operator !== null)).toBe(false);

    const again = await sendTyped(server, ReportChatStartedDocument, { input }, org.apiKey);
    if (again.data?.reportChatStarted.__typename !== 'MutationReportChatStartedSuccess') throw new Error(JSON.stringify(again));
    expect(again.data.reportChatStarted.data.replayed).toBe(true);
    expect(again.data.reportChatStarted.data.happeningId).toBe(reported.data.reportChatStarted.data.happeningId);

    const explained = await sendTyped(server, ExplainEventDocument, { eventId: newChat.id, operatorId: olga.id }, org.adminToken);
    if (explained.data?.explainEvent.__typename !== 'QueryExplainEventSuccess') throw new Error(JSON.stringify(explained));
    expect(explained.data.explainEvent.data.operatorInAudience).toBe(true);
    const browser = explained.data.explainEvent.data.decisions.find((d) => d.operator?.id === olga.id && d.channel === 'BROWSER');
    expect(browser?.trace.map((step) => step.check)).toEqual(['CHANNEL_AVAILABLE', 'ROLE_ENABLED', 'OPERATOR_PREFERENCE', 'WIDGET_SWITCH']);
    expect(browser?.trace.every((step) => step.passed)).toBe(true);
  });
});
