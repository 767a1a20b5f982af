/**
 * One delivery attempt: an operator email, or the call an addon kind makes (EmailTicket email with
 * the chat meta as a JSON attachment, Slack incoming webhook, Help Scout conversation, signed
 * webhook). Throws a DeliveryError when the attempt failed; returns when the receiver accepted it.
 * Every HTTP call goes through the outbound guard; a refused destination or a redirect is a
 * permanent failure. A failure names the URL's origin only and keeps at most a sanitised excerpt
 * of an error answer's body.
 */
import type { AddonConfigByKind, EmailTicketConfig, HelpScoutConfig, SlackConfig, WebhookConfig } from '../../domain/addon-config.js';
import {
  emailTicketAttachment,
  helpScoutConversation,
  slackMessage,
  WEBHOOK_EVENT_NAMES,
  webhookBody,
} from '../../domain/addon-payloads.js';
import type { AddonKind } from '../../domain/catalog.js';
import { type EventDetails, renderEmail } from '../../domain/email-content.js';
import { globalIdOf } from '../../domain/global-id.js';
import { signWebhook, WEBHOOK_HEADERS } from '../../domain/webhook-signature.js';
import { describeUrl } from '../outbound/describe-url.js';
import { type OutboundGuard, OutboundRefusedError } from '../outbound/outbound-guard.js';
import { responseExcerpt } from '../outbound/response-excerpt.js';
import type { Mailer } from './create-mailer.js';
import { DeliveryError, isRetryableStatus } from './delivery-error.js';

export interface DeliveryToSend {
  id: string;
  channel: 'EMAIL' | 'ADDON' | string;
  target: string;
  addon: { kind: AddonKind; config: unknown; deletedAt: Date | null } | null;
  /** Attention (E5): set on an unread-escalation email. */
  inboxItemId?: string | null;
}

export interface SendDeps {
  mailer: Mailer;
  outbound: OutboundGuard;
  timeoutMs: number;
}

export async function sendDelivery(deps: SendDeps, delivery: DeliveryToSend, details: EventDetails): Promise<void> {
  if (delivery.channel === 'EMAIL') {
    await deps.mailer.send({ deliveryId: delivery.id, to: delivery.target, ...renderEmail(details, Boolean(delivery.inboxItemId)) });
    return;
  }
  const { addon } = delivery;
  if (!addon || addon.deletedAt) throw new DeliveryError('the addon was deleted', true);
  const config = addon.config as AddonConfigByKind[AddonKind];
  switch (addon.kind) {
    case 'EMAIL_TICKET':
      return sendEmailTicket(deps, delivery.id, config as EmailTicketConfig, details);
    case 'SLACK':
      return postJson(deps, (config as SlackConfig).webhookUrl, slackMessage(details, config as SlackConfig), {});
    case 'HELP_SCOUT': {
      const { apiBaseUrl, apiToken, mailboxId } = config as HelpScoutConfig;
      const conversation = helpScoutConversation(details, mailboxId, config as HelpScoutConfig);
      if (!conversation)
        throw new DeliveryError(
          'the visitor left no email and the addon has no fallback customer (fallbackCustomerEmail or fallbackCustomerId)',
          true,
        );
      return postJson(deps, `${apiBaseUrl}/conversations`, conversation, { authorization: `Bearer ${apiToken}` });
    }
    case 'WEBHOOK':
      return sendWebhook(deps, delivery.id, config as WebhookConfig, details);
  }
}

async function sendEmailTicket(deps: SendDeps, deliveryId: string, config: EmailTicketConfig, details: EventDetails) {
  const { filename, content } = emailTicketAttachment(details);
  await deps.mailer.send({
    deliveryId,
    to: config.toAddress,
    ...renderEmail(details),
    attachments: [{ filename, content, contentType: 'application/json' }],
  });
}

async function sendWebhook(deps: SendDeps, deliveryId: string, config: WebhookConfig, details: EventDetails) {
  const body = JSON.stringify(webhookBody(details, deliveryId));
  const timestamp = Math.floor(Date.now() / 1000);
  const id = globalIdOf('Delivery', deliveryId);
  await postRaw(deps, config.url, body, {
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signWebhook(config.secret, id, timestamp, body),
    [WEBHOOK_HEADERS.event]: WEBHOOK_EVENT_NAMES[details.kind],
  });
}

const postJson = (deps: SendDeps, url: string, payload: unknown, headers: Record<string, string>) =>
  postRaw(deps, url, JSON.stringify(payload), headers);

async function postRaw(deps: SendDeps, url: string, body: string, headers: Record<string, string>): Promise<void> {
  const target = describeUrl(url);
  let response: Awaited<ReturnType<OutboundGuard['fetch']>>;
  try {
    response = await deps.outbound.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'notification-service', ...headers },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
  } catch (error) {
    if (error instanceof OutboundRefusedError) throw new DeliveryError(`POST ${target} refused: ${error.message}`, true);
    throw new DeliveryError(`POST ${target} failed: ${failureCode(error)}`);
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new DeliveryError(`POST ${target} answered ${response.status}: redirects are not followed`, true);
  }
  const excerpt = await responseExcerpt(response);
  throw new DeliveryError(
    `POST ${target} answered ${response.status}${excerpt ? `: ${excerpt}` : ''}`,
    !isRetryableStatus(response.status),
  );
}

/** A network failure's code (ECONNREFUSED, ENOTFOUND, …), never its message: messages carry addresses. */
function failureCode(error: unknown): string {
  if ((error as Error).name === 'TimeoutError') return 'timed out';
  const code = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'network error';
}
