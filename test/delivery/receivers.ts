/**
 * Real stand-ins for what deliveries reach: an in-process SMTP server (messages parsed with
 * mailparser) and local HTTP servers for Slack, Help Scout and webhook receivers, which can go down
 * and come back on the same port. Plus small GraphQL helpers shared by the delivery tests.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { TestServer } from '../helpers/test-server.js';

export interface SmtpReceiver {
  url: string;
  port: number;
  messages: ParsedMail[];
  /** SMTP sessions opened so far (test/security: a refused server sees none). */
  connections: number;
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const messages: ParsedMail[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const addressesOf = (mail: ParsedMail) =>
    [mail.to]
      .flat()
      .flatMap((a) => a?.value ?? [])
      .map((v) => v.address);
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get connections() {
      return connections;
    },
    to: (address) => messages.filter((m) => addressesOf(m).includes(address)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** The status answered to the next requests (default 200). */
  status: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let server: Server | null = null;
  let port = 0;
  const receiver: HttpReceiver = {
    url: '',
    requests,
    status: 200,
    async up() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = JSON.parse(body);
          } catch {}
          if (receiver.status < 300) requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json });
          res.writeHead(receiver.status, { 'content-type': 'text/plain' }).end(receiver.status < 300 ? 'ok' : 'nope');
        });
      });
      await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${port}`;
    },
    async down() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    close: () => receiver.down(),
  };
  await receiver.up();
  return receiver;
}

/** Polls `check` until it returns a truthy value (no timing assertions: only a generous ceiling). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

/** Runs a mutation whose result is `… on <Success> { data { … } }`; throws on errors. */
export async function mutate<T>(server: TestServer, credential: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const result = await server.gql<Record<string, { data?: T; code?: string; message?: string }>>(query, variables, credential);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  const payload = Object.values(result.data ?? {})[0];
  if (!payload || payload.data === undefined) throw new Error(`mutation refused: ${JSON.stringify(payload)}`);
  return payload.data;
}

export async function createWidget(server: TestServer, adminToken: string, input: Record<string, unknown>): Promise<string> {
  const data = await mutate<{ id: string }>(
    server,
    adminToken,
    'mutation($input: CreateWidgetInput!) { createWidget(input: $input) { ... on MutationCreateWidgetSuccess { data { id } } ... on AppError { code message } } }',
    { input },
  );
  return data.id;
}

export async function createAddon(server: TestServer, adminToken: string, input: Record<string, unknown>): Promise<string> {
  const data = await mutate<{ addon: { id: string } }>(
    server,
    adminToken,
    'mutation($input: CreateAddonInput!) { createAddon(input: $input) { ... on MutationCreateAddonSuccess { data { addon { id } } } ... on AppError { code message } } }',
    { input },
  );
  return data.addon.id;
}

/** Reports one happening through `report<Kind>` with the integrator API key; returns the event ids. */
export async function report(server: TestServer, apiKey: string, mutation: string, input: Record<string, unknown>): Promise<string[]> {
  const typeName = `${mutation[0]?.toUpperCase()}${mutation.slice(1)}Input`;
  const success = `Mutation${mutation[0]?.toUpperCase()}${mutation.slice(1)}Success`;
  const data = await mutate<{ events: { id: string }[] }>(
    server,
    apiKey,
    `mutation($input: ${typeName}!) { ${mutation}(input: $input) { ... on ${success} { data { events { id } } } ... on AppError { code message field } } }`,
    { input },
  );
  return data.events.map((e) => e.id);
}

export interface LoggedDelivery {
  id: string;
  channel: string;
  target: string;
  status: string;
  attempts: number;
  lastError: string | null;
  event: { id: string; kind: string };
}

export async function deliveryLog(server: TestServer, adminToken: string, filter: Record<string, unknown> = {}): Promise<LoggedDelivery[]> {
  const result = await server.gql<{ deliveries: { edges: { node: LoggedDelivery }[] } }>(
    `query($status: DeliveryStatus, $channel: Channel, $eventId: ID, $addonId: ID) {
      deliveries(first: 100, status: $status, channel: $channel, eventId: $eventId, addonId: $addonId) {
        edges { node { id channel target status attempts lastError event { id kind } } }
      }
    }`,
    filter,
    adminToken,
  );
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data?.deliveries.edges.map((e) => e.node) ?? [];
}
