/**
 * Per-kind configuration of addon instances ("Addons" in notification-rules.md): what each kind
 * needs to deliver, validated before it is stored. Pure apart from the randomness of the webhook
 * secret generated when none is given (injectable for tests).
 *
 * EMAIL_TICKET  { toAddress }                          an email address
 * SLACK         { webhookUrl, channel?, legacyWebhook? }  an http(s) incoming-webhook URL; `channel`
 *               is sent only when `legacyWebhook` (Slack's app webhooks ignore it, legacy ones obey)
 * HELP_SCOUT    { apiBaseUrl, apiToken, mailboxId, fallbackCustomerEmail?, fallbackCustomerId? }
 *               apiBaseUrl defaults to the public API; the fallback customer is used for visitors
 *               who left no email (Help Scout needs a customer email or id; none is ever invented)
 * WEBHOOK       { url, secret }                        a Standard Webhooks `whsec_` secret (24–64
 *               key bytes), generated when absent; any other string of 16+ characters is taken as
 *               the key's bytes (secrets stored before Standard Webhooks, webhook-signature.ts)
 */
import { randomBytes } from 'node:crypto';
import type { AddonKind } from './catalog.js';
import { WHSEC_MAX_BYTES, WHSEC_MIN_BYTES, WHSEC_PREFIX, whsecKeyBytes } from './webhook-signature.js';

export interface EmailTicketConfig {
  toAddress: string;
}
export interface SlackConfig {
  webhookUrl: string;
  channel?: string;
  /** A legacy (pre-app) incoming webhook, which honours a `channel` override. */
  legacyWebhook?: boolean;
}
export interface HelpScoutConfig {
  apiBaseUrl: string;
  apiToken: string;
  mailboxId: string;
  /** The customer of conversations whose visitor left no email: an email address… */
  fallbackCustomerEmail?: string;
  /** …or the id of an existing Help Scout customer (wins over the email). */
  fallbackCustomerId?: string;
}
export interface WebhookConfig {
  url: string;
  secret: string;
}
export interface AddonConfigByKind {
  EMAIL_TICKET: EmailTicketConfig;
  SLACK: SlackConfig;
  HELP_SCOUT: HelpScoutConfig;
  WEBHOOK: WebhookConfig;
}
export type AddonConfig = AddonConfigByKind[AddonKind];

export type AddonConfigResult<K extends AddonKind = AddonKind> =
  | { ok: true; config: AddonConfigByKind[K] }
  | { ok: false; field: string; message: string };

/** The configuration fields of each kind that name an outbound destination (checked by the outbound guard). */
export const ADDON_URL_FIELDS = {
  EMAIL_TICKET: [],
  SLACK: ['webhookUrl'],
  HELP_SCOUT: ['apiBaseUrl'],
  WEBHOOK: ['url'],
} as const satisfies { [K in AddonKind]: readonly (keyof AddonConfigByKind[K])[] };

export const HELP_SCOUT_DEFAULT_API_BASE_URL = 'https://api.helpscout.net/v2';
export const WEBHOOK_SECRET_MIN_LENGTH = 16;

type Input = Record<string, unknown>;
type Failure = { ok: false; field: string; message: string };

const fail = (field: string, message: string): Failure => ({ ok: false, field, message });
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A trimmed non-empty string, or undefined when absent (null / missing / blank). */
function text(input: Input, field: string): string | undefined {
  const value = input[field];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function requiredUrl(input: Input, field: string): string | Failure {
  const value = text(input, field);
  if (value === undefined) return fail(field, `${field} is required`);
  return isHttpUrl(value) ? value : fail(field, `${field} must be an http(s) URL`);
}

const isFailure = (value: unknown): value is Failure => typeof value === 'object' && value !== null && 'ok' in value;

function validateEmailTicket(input: Input): AddonConfigResult<'EMAIL_TICKET'> {
  const toAddress = text(input, 'toAddress');
  if (toAddress === undefined) return fail('toAddress', 'toAddress is required');
  if (!EMAIL.test(toAddress)) return fail('toAddress', 'toAddress must be an email address');
  return { ok: true, config: { toAddress } };
}

function validateSlack(input: Input): AddonConfigResult<'SLACK'> {
  const webhookUrl = requiredUrl(input, 'webhookUrl');
  if (isFailure(webhookUrl)) return webhookUrl;
  const channel = text(input, 'channel');
  const legacy = input.legacyWebhook;
  if (legacy !== undefined && legacy !== null && typeof legacy !== 'boolean')
    return fail('legacyWebhook', 'legacyWebhook must be a boolean');
  return {
    ok: true,
    config: { webhookUrl, ...(channel === undefined ? {} : { channel }), ...(legacy === true ? { legacyWebhook: true } : {}) },
  };
}

function validateHelpScout(input: Input): AddonConfigResult<'HELP_SCOUT'> {
  const apiBaseUrl = text(input, 'apiBaseUrl') === undefined ? HELP_SCOUT_DEFAULT_API_BASE_URL : requiredUrl(input, 'apiBaseUrl');
  if (isFailure(apiBaseUrl)) return apiBaseUrl;
  const apiToken = text(input, 'apiToken');
  if (apiToken === undefined) return fail('apiToken', 'apiToken is required');
  const mailboxId = text(input, 'mailboxId');
  if (mailboxId === undefined) return fail('mailboxId', 'mailboxId is required');
  const fallbackCustomerEmail = text(input, 'fallbackCustomerEmail');
  if (fallbackCustomerEmail !== undefined && !EMAIL.test(fallbackCustomerEmail))
    return fail('fallbackCustomerEmail', 'fallbackCustomerEmail must be an email address');
  const fallbackCustomerId = text(input, 'fallbackCustomerId');
  if (fallbackCustomerId !== undefined && !/^\d+$/.test(fallbackCustomerId))
    return fail('fallbackCustomerId', 'fallbackCustomerId must be a Help Scout customer id (digits)');
  return {
    ok: true,
    config: {
      apiBaseUrl: apiBaseUrl.replace(/\/+$/, ''),
      apiToken,
      mailboxId,
      ...(fallbackCustomerEmail === undefined ? {} : { fallbackCustomerEmail }),
      ...(fallbackCustomerId === undefined ? {} : { fallbackCustomerId }),
    },
  };
}

function validateWebhook(input: Input, generateSecret: () => string): AddonConfigResult<'WEBHOOK'> {
  const url = requiredUrl(input, 'url');
  if (isFailure(url)) return url;
  const given = input.secret;
  if (given === undefined || given === null) return { ok: true, config: { url, secret: generateSecret() } };
  if (typeof given !== 'string' || given.length < WEBHOOK_SECRET_MIN_LENGTH)
    return fail('secret', `secret must be at least ${WEBHOOK_SECRET_MIN_LENGTH} characters`);
  if (given.startsWith(WHSEC_PREFIX)) {
    const key = whsecKeyBytes(given);
    if (!key || key.length < WHSEC_MIN_BYTES || key.length > WHSEC_MAX_BYTES)
      return fail('secret', `a ${WHSEC_PREFIX} secret must be base64 of ${WHSEC_MIN_BYTES} to ${WHSEC_MAX_BYTES} bytes`);
  }
  return { ok: true, config: { url, secret: given } };
}

/** `whsec_` + base64 of 32 random bytes: the Standard Webhooks signing secret when the admin gives none. */
export const generateWebhookSecret = (): string => `${WHSEC_PREFIX}${randomBytes(32).toString('base64')}`;

/**
 * Validates and normalizes the configuration of an addon of `kind`. `field` names the offending
 * key of the kind's configuration. `generateSecret` is called only for a webhook without a secret.
 */
export function validateAddonConfig<K extends AddonKind>(kind: K, input: unknown, generateSecret?: () => string): AddonConfigResult<K>;
export function validateAddonConfig(kind: AddonKind, input: unknown, generateSecret = generateWebhookSecret): AddonConfigResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('config', `configuration for ${kind} is required`);
  const fields = input as Input;
  switch (kind) {
    case 'EMAIL_TICKET':
      return validateEmailTicket(fields);
    case 'SLACK':
      return validateSlack(fields);
    case 'HELP_SCOUT':
      return validateHelpScout(fields);
    case 'WEBHOOK':
      return validateWebhook(fields, generateSecret);
  }
}
