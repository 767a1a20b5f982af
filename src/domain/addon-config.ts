/**
 * Per-kind configuration of addon instances ("Addons" in notification-rules.md): what each kind
 * needs to deliver, validated before it is stored. Pure apart from the randomness of the webhook
 * secret generated when none is given (injectable for tests).
 *
 * EMAIL_TICKET  { toAddress }                          an email address
 * SLACK         { webhookUrl, channel? }               an http(s) incoming-webhook URL
 * HELP_SCOUT    { apiBaseUrl, apiToken, mailboxId }    apiBaseUrl defaults to the public API
 * WEBHOOK       { url, secret }                        secret ≥ 16 chars, generated when absent
 */
import { randomBytes } from 'node:crypto';
import type { AddonKind } from './catalog.js';

export interface EmailTicketConfig {
  toAddress: string;
}
export interface SlackConfig {
  webhookUrl: string;
  channel?: string;
}
export interface HelpScoutConfig {
  apiBaseUrl: string;
  apiToken: string;
  mailboxId: string;
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
  return { ok: true, config: channel === undefined ? { webhookUrl } : { webhookUrl, channel } };
}

function validateHelpScout(input: Input): AddonConfigResult<'HELP_SCOUT'> {
  const apiBaseUrl = text(input, 'apiBaseUrl') === undefined ? HELP_SCOUT_DEFAULT_API_BASE_URL : requiredUrl(input, 'apiBaseUrl');
  if (isFailure(apiBaseUrl)) return apiBaseUrl;
  const apiToken = text(input, 'apiToken');
  if (apiToken === undefined) return fail('apiToken', 'apiToken is required');
  const mailboxId = text(input, 'mailboxId');
  if (mailboxId === undefined) return fail('mailboxId', 'mailboxId is required');
  return { ok: true, config: { apiBaseUrl: apiBaseUrl.replace(/\/+$/, ''), apiToken, mailboxId } };
}

function validateWebhook(input: Input, generateSecret: () => string): AddonConfigResult<'WEBHOOK'> {
  const url = requiredUrl(input, 'url');
  if (isFailure(url)) return url;
  const given = input.secret;
  if (given === undefined || given === null) return { ok: true, config: { url, secret: generateSecret() } };
  if (typeof given !== 'string' || given.length < WEBHOOK_SECRET_MIN_LENGTH)
    return fail('secret', `secret must be at least ${WEBHOOK_SECRET_MIN_LENGTH} characters`);
  return { ok: true, config: { url, secret: given } };
}

/** 32 random bytes, base64url: the webhook signing secret when the admin gives none. */
export const generateWebhookSecret = (): string => randomBytes(32).toString('base64url');

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
