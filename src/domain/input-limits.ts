/**
 * Length limits of every text and list a client can send, declared once. Each input field is
 * classified by its name (`INPUT_FIELD_KINDS`); a string field not named here gets `shortText`, a
 * list not named here gets `list`, so a new input is bounded without anyone remembering to.
 * The GraphQL layer enforces them on every argument before any resolver runs
 * (src/graphql/input-checks-plugin.ts): over the limit is `TOO_LONG` on the field's path.
 */

export interface InputLimit {
  /** Most characters (strings) or items (lists). */
  max: number;
  /** Why this number. */
  reason: string;
}

export const INPUT_LIMITS = {
  name: { max: 200, reason: 'Display names (operators, widgets, roles, groups, addons, keys, visitors) fit one line of a list.' },
  email: { max: 320, reason: 'An address is at most 64 (local part) + 1 + 255 (domain) characters (RFC 5321).' },
  identifier: { max: 200, reason: "Integrators' own ids (chat ids, idempotency keys, mailbox ids, channels) are keys, not prose." },
  globalId: { max: 200, reason: 'Our global ids are base64 of a type name and a UUID (under 80 characters).' },
  title: { max: 500, reason: 'Titles, goals and survey questions are shown as one heading in a notification.' },
  text: { max: 20_000, reason: 'Messages, comments, summaries, answers and transcript lines: a long chat message, not a document.' },
  url: { max: 2_048, reason: 'The longest URL browsers and proxies reliably accept.' },
  secret: { max: 512, reason: 'Webhook secrets and API tokens are random strings; longer gains nothing.' },
  publicKey: { max: 10_000, reason: 'A PEM public key: RSA 4096 is about 800 characters, with its certificate chain a few KB.' },
  shortText: { max: 1_000, reason: 'Any other string (cursors, time zones, times): bounded by default.' },
  surveyAnswers: { max: 100, reason: 'A survey a visitor answers in a chat window.' },
  transcriptLines: { max: 2_000, reason: 'A very long chat; beyond it the transcript is a document, not a notification.' },
  happenings: { max: 10_000, reason: 'Hard ceiling of a batch; MAX_BATCH_SIZE (default 500) is the working limit.' },
  list: { max: 1_000, reason: 'Any other list (ids, preference changes, events): more than an organization has.' },
  quietWindows: { max: 28, reason: 'Quiet windows of one operator: four a day for a whole week is already more than a shift plan needs.' },
} as const satisfies Record<string, InputLimit>;

export type InputLimitKind = keyof typeof INPUT_LIMITS;

/** The kind of each named input field (the same name means the same thing in every input). */
export const INPUT_FIELD_KINDS: Readonly<Record<string, InputLimitKind>> = {
  name: 'name',
  visitorName: 'name',
  email: 'email',
  visitorEmail: 'email',
  toAddress: 'email',
  fallbackCustomerEmail: 'email',
  fallbackCustomerId: 'identifier',
  chatId: 'identifier',
  chatIds: 'identifier', // retention: eraseVisitorData (each id; the list is a `list`)
  idempotencyKey: 'identifier',
  mailboxId: 'identifier',
  externalId: 'identifier',
  operatorClaim: 'identifier',
  issuer: 'url',
  audience: 'url',
  jwksUrl: 'url',
  sharedSecret: 'secret',
  publicKey: 'publicKey',
  channel: 'identifier',
  title: 'title',
  goal: 'title',
  question: 'title',
  text: 'text',
  body: 'text',
  comment: 'text',
  summary: 'text',
  answer: 'text',
  url: 'url',
  webhookUrl: 'url',
  apiBaseUrl: 'url',
  secret: 'secret',
  apiToken: 'secret',
  answers: 'surveyAnswers',
  transcript: 'transcriptLines',
  happenings: 'happenings',
  windows: 'quietWindows',
};

/** The limit of a string (`list` false) or list (`list` true) input field named `fieldName`. */
export function inputLimitOf(fieldName: string, kind: 'string' | 'id' | 'list'): { kind: InputLimitKind; max: number } {
  const named = INPUT_FIELD_KINDS[fieldName];
  const isList = (k: InputLimitKind) =>
    k === 'surveyAnswers' || k === 'transcriptLines' || k === 'happenings' || k === 'list' || k === 'quietWindows';
  let chosen: InputLimitKind;
  if (kind === 'list') chosen = named && isList(named) ? named : 'list';
  else if (kind === 'id') chosen = 'globalId';
  else chosen = named && !isList(named) ? named : 'shortText';
  return { kind: chosen, max: INPUT_LIMITS[chosen].max };
}
