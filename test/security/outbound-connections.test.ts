/**
 * The outbound guard at connection time, over real sockets to loopback receivers: a host name
 * whose DNS answer (faked: only ever loopback) holds a refused address gets no connection at all,
 * headers included; redirects are never followed; the SMTP connection goes through the same door.
 */
import { getDefaultAutoSelectFamily, setDefaultAutoSelectFamily } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../src/services/delivery/create-mailer.js';
import { toDeliveryError } from '../../src/services/delivery/delivery-error.js';
import { createOutboundGuard, OutboundRefusedError, type ResolveHost } from '../../src/services/outbound/outbound-guard.js';
import { type SmtpReceiver, startSmtpReceiver } from '../delivery/receivers.js';
import { type CountingReceiver, startCountingReceiver } from './counting-receiver.js';

/** Fake DNS: `*.rebind.test` → loopback; `mixed.test` → a public and a loopback address. Records every question. */
function fakeDns() {
  const asked: string[] = [];
  const resolve: ResolveHost = async (hostname) => {
    asked.push(hostname);
    if (hostname === 'mixed.test')
      return [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ];
    if (hostname.endsWith('.rebind.test')) return [{ address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error(`${hostname} not found`), { code: 'ENOTFOUND' });
  };
  return { asked, resolve };
}

const post = { method: 'POST', body: '{}', headers: { authorization: 'Bearer hs-secret-token' } };

let receiver: CountingReceiver;
let smtp: SmtpReceiver;
beforeAll(async () => {
  receiver = await startCountingReceiver();
  smtp = await startSmtpReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await smtp?.close();
});

describe('HTTP through the guard', () => {
  it('refuses a name resolving to loopback when connecting: no connection, so the bearer token goes nowhere', async () => {
    const dns = fakeDns();
    const guard = createOutboundGuard({ allowPrivate: false, resolve: dns.resolve });
    const before = receiver.connections;
    try {
      await expect(guard.fetch(`http://api.rebind.test:${receiver.port}/v2/conversations`, post)).rejects.toThrow(OutboundRefusedError);
      await expect(guard.fetch(`http://mixed.test:${receiver.port}/`, post)).rejects.toThrow('resolves to a non-public address');
      expect(dns.asked).toEqual(['api.rebind.test', 'mixed.test']);
      expect(receiver.connections - before).toBe(0);
    } finally {
      await guard.close();
    }
  });

  it('refuses literal addresses without asking DNS', async () => {
    const dns = fakeDns();
    const guard = createOutboundGuard({ allowPrivate: false, resolve: dns.resolve });
    const before = receiver.connections;
    try {
      for (const host of ['127.0.0.1', '2130706433', '[::ffff:127.0.0.1]', 'localhost'])
        await expect(guard.fetch(`http://${host}:${receiver.port}/`, post), host).rejects.toThrow(OutboundRefusedError);
      expect(dns.asked).toEqual([]);
      expect(receiver.connections - before).toBe(0);
    } finally {
      await guard.close();
    }
  });

  it('with OUTBOUND_ALLOW_PRIVATE the same fake name is reached (the fake DNS is what was refused)', async () => {
    const dns = fakeDns();
    const guard = createOutboundGuard({ allowPrivate: true, resolve: dns.resolve });
    const before = receiver.requests.length;
    try {
      const response = await guard.fetch(`http://api.rebind.test:${receiver.port}/v2/conversations`, post);
      expect(response.status).toBe(200);
      await response.body?.cancel();
      expect(dns.asked).toEqual(['api.rebind.test']);
      expect(receiver.requests.slice(before).map((r) => [r.path, r.headers.host])).toEqual([
        ['/v2/conversations', `api.rebind.test:${receiver.port}`],
      ]);
    } finally {
      await guard.close();
    }
  });

  it('never follows a redirect: the 3xx is the answer and its target sees no connection', async () => {
    const target = await startCountingReceiver();
    const redirecting = await startCountingReceiver({ status: 307, headers: { location: `${target.url}/internal` } });
    const guard = createOutboundGuard({ allowPrivate: true });
    try {
      const response = await guard.fetch(`${redirecting.url}/hook`, post);
      await response.body?.cancel();
      expect(response.status).toBe(307);
      expect(redirecting.requests).toHaveLength(1);
      expect(target.connections).toBe(0);
    } finally {
      await guard.close();
      await target.close();
      await redirecting.close();
    }
  });
});

describe('raw TCP through the guard (the SMTP connection)', () => {
  // Node asks the lookup for every address (autoSelectFamily) or for one: both answers are checked.
  it.each([true, false])('checks the DNS answer with autoSelectFamily %s', async (autoSelect) => {
    const previous = getDefaultAutoSelectFamily();
    setDefaultAutoSelectFamily(autoSelect);
    try {
      const before = receiver.connections;
      const strict = createOutboundGuard({ allowPrivate: false, resolve: fakeDns().resolve });
      await expect(strict.connect('mail.rebind.test', receiver.port, 5000)).rejects.toThrow(OutboundRefusedError);
      expect(receiver.connections - before).toBe(0);
      const dns = fakeDns();
      const socket = await createOutboundGuard({ allowPrivate: true, resolve: dns.resolve }).connect(
        'mail.rebind.test',
        receiver.port,
        5000,
      );
      expect([socket.remoteAddress, dns.asked]).toEqual(['127.0.0.1', ['mail.rebind.test']]);
      socket.destroy();
    } finally {
      setDefaultAutoSelectFamily(previous);
    }
  });
});

describe('SMTP through the guard', () => {
  const mailTo = (mailer: ReturnType<typeof createMailer>, id: string) =>
    mailer.send({ deliveryId: id, to: 'ops@example.test', subject: 'hello', text: 'hi', html: '<p>hi</p>' });
  const mailerFor = (smtpUrl: string, allowPrivate: boolean, resolve?: ResolveHost) =>
    createMailer({
      smtpUrl,
      mailFrom: 'n@example.test',
      dataDir: '/nonexistent',
      timeoutMs: 5000,
      outbound: createOutboundGuard({ allowPrivate, resolve }),
    });

  it('refuses an SMTP host that is, or resolves to, loopback; the server sees no session', async () => {
    const before = smtp.connections;
    for (const url of [smtp.url, `smtp://mail.rebind.test:${smtp.port}`, `smtp://localhost:${smtp.port}`]) {
      const mailer = mailerFor(url, false, fakeDns().resolve);
      try {
        const failure = await mailTo(mailer, 'refused').catch((error: unknown) => error);
        expect(failure, url).toBeInstanceOf(OutboundRefusedError);
        // A delivery refused by the guard is dead at once: retrying cannot help.
        expect(toDeliveryError(failure)).toMatchObject({ permanent: true, message: expect.stringMatching(/^refused: /) });
      } finally {
        mailer.close();
      }
    }
    expect(smtp.connections - before).toBe(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it('with OUTBOUND_ALLOW_PRIVATE the mail goes through the socket the guard opened', async () => {
    const dns = fakeDns();
    const mailer = mailerFor(`smtp://mail.rebind.test:${smtp.port}`, true, dns.resolve);
    try {
      await mailTo(mailer, 'allowed');
      expect(dns.asked).toContain('mail.rebind.test');
      expect(smtp.to('ops@example.test')).toHaveLength(1);
    } finally {
      mailer.close();
    }
  });
});
