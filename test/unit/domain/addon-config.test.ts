import { describe, expect, it } from 'vitest';
import { HELP_SCOUT_DEFAULT_API_BASE_URL, validateAddonConfig } from '../../../src/domain/addon-config.js';
import type { AddonKind } from '../../../src/domain/catalog.js';

const fixedSecret = () => 'generated-secret-0123456789abcdef';

describe('validateAddonConfig', () => {
  const accepted: [AddonKind, Record<string, unknown>, unknown][] = [
    ['EMAIL_TICKET', { toAddress: ' tickets@example.test ' }, { toAddress: 'tickets@example.test' }],
    ['SLACK', { webhookUrl: 'https://hooks.slack.test/T/B/x' }, { webhookUrl: 'https://hooks.slack.test/T/B/x' }],
    ['SLACK', { webhookUrl: 'http://hooks.test/x', channel: '#support' }, { webhookUrl: 'http://hooks.test/x', channel: '#support' }],
    ['HELP_SCOUT', { apiToken: 'tok', mailboxId: '42' }, { apiBaseUrl: HELP_SCOUT_DEFAULT_API_BASE_URL, apiToken: 'tok', mailboxId: '42' }],
    [
      'SLACK',
      { webhookUrl: 'http://hooks.test/x', channel: '#old', legacyWebhook: true },
      { webhookUrl: 'http://hooks.test/x', channel: '#old', legacyWebhook: true },
    ],
    [
      'HELP_SCOUT',
      { apiToken: 'tok', mailboxId: '42', fallbackCustomerEmail: 'chat@shop.test', fallbackCustomerId: '123' },
      {
        apiBaseUrl: HELP_SCOUT_DEFAULT_API_BASE_URL,
        apiToken: 'tok',
        mailboxId: '42',
        fallbackCustomerEmail: 'chat@shop.test',
        fallbackCustomerId: '123',
      },
    ],
    [
      'HELP_SCOUT',
      { apiBaseUrl: 'http://localhost:9/v2/', apiToken: 'tok', mailboxId: '42' },
      { apiBaseUrl: 'http://localhost:9/v2', apiToken: 'tok', mailboxId: '42' },
    ],
    ['WEBHOOK', { url: 'https://example.test/hook' }, { url: 'https://example.test/hook', secret: fixedSecret() }],
    ['WEBHOOK', { url: 'https://example.test/hook', secret: 'x'.repeat(16) }, { url: 'https://example.test/hook', secret: 'x'.repeat(16) }],
  ];
  it.each(accepted)('%s accepts %j', (kind, input, config) => {
    expect(validateAddonConfig(kind, input, fixedSecret)).toEqual({ ok: true, config });
  });

  const refused: [AddonKind, unknown, string][] = [
    ['EMAIL_TICKET', {}, 'toAddress'],
    ['EMAIL_TICKET', { toAddress: 'not-an-email' }, 'toAddress'],
    ['SLACK', { webhookUrl: 'ftp://hooks.test/x' }, 'webhookUrl'],
    ['SLACK', { webhookUrl: 'not a url' }, 'webhookUrl'],
    ['SLACK', {}, 'webhookUrl'],
    ['HELP_SCOUT', { apiBaseUrl: 'nope', apiToken: 't', mailboxId: '1' }, 'apiBaseUrl'],
    ['HELP_SCOUT', { mailboxId: '1' }, 'apiToken'],
    ['HELP_SCOUT', { apiToken: 't' }, 'mailboxId'],
    ['WEBHOOK', { secret: 'x'.repeat(20) }, 'url'],
    ['WEBHOOK', { url: 'https://example.test', secret: 'short' }, 'secret'],
    ['WEBHOOK', null, 'config'],
    ['SLACK', { webhookUrl: 'http://hooks.test/x', legacyWebhook: 'yes' }, 'legacyWebhook'],
    ['HELP_SCOUT', { apiToken: 't', mailboxId: '1', fallbackCustomerEmail: 'nobody' }, 'fallbackCustomerEmail'],
    ['HELP_SCOUT', { apiToken: 't', mailboxId: '1', fallbackCustomerId: 'abc' }, 'fallbackCustomerId'],
  ];
  it.each(refused)('%s refuses %j on %s', (kind, input, field) => {
    const result = validateAddonConfig(kind, input, fixedSecret);
    expect(result).toMatchObject({ ok: false, field });
    expect(result.ok ? '' : result.message).toMatch(/\S/);
  });

  it('generates a Standard Webhooks secret (whsec_ + base64 of 32 random bytes) by default', () => {
    const result = validateAddonConfig('WEBHOOK', { url: 'https://example.test' });
    expect(result.ok && result.config.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });
});
