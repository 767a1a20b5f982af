/**
 * Sends email with nodemailer: over SMTP when SMTP_URL is set; otherwise (the embedded default)
 * each message is rendered to standard RFC 822 bytes and written as a `.eml` file under
 * `<dataDir>/outbox-mail/`, and logged, so nothing is lost and anyone can open it in a mail client.
 * With an outbound guard, the SMTP connection is opened by the guard (`getSocket`), so the SMTP
 * host faces the same address checks as every other outbound request.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { log as logger } from '../../observability/logger.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';

export interface OutgoingMail {
  /** Stable across retries: becomes the Message-ID, so receivers can spot duplicates. */
  deliveryId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: { filename: string; content: string; contentType: string }[];
}

export interface Mailer {
  /** Where mail goes, for logs: the SMTP host or the outbox directory. */
  readonly destination: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  mailFrom: string;
  dataDir: string;
  timeoutMs: number;
  /** Opens the SMTP connection; absent, nodemailer connects by itself (no address checks). */
  outbound?: OutboundGuard;
  log?: (message: string) => void;
}

const messageOf = (options: MailerOptions, mail: OutgoingMail) => ({
  from: options.mailFrom,
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  html: mail.html,
  messageId: `<${mail.deliveryId}@notification-service>`,
  headers: { 'X-Delivery-Id': mail.deliveryId },
  attachments: mail.attachments,
});

export function createMailer(options: MailerOptions): Mailer {
  const log = options.log ?? ((message: string) => logger.info(message));
  if (options.smtpUrl) {
    const { timeoutMs, outbound } = options;
    const transport = nodemailer.createTransport({
      url: options.smtpUrl,
      pool: true,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      // nodemailer runs the SMTP (and TLS) session over the socket the guard connected.
      getSocket: outbound
        ? (
            socketOptions: { host?: string; port?: number | string; secure?: boolean },
            callback: (error: Error | null, socket: { connection: Socket } | false) => void,
          ) => {
            const port = Number(socketOptions.port) || (socketOptions.secure ? 465 : 587);
            outbound.connect(socketOptions.host ?? '', port, timeoutMs).then(
              (connection) => callback(null, { connection }),
              (error: Error) => callback(error, false),
            );
          }
        : undefined,
    });
    return {
      destination: new URL(options.smtpUrl).host,
      async send(mail) {
        await transport.sendMail(messageOf(options, mail));
      },
      close: () => transport.close(),
    };
  }
  const directory = join(options.dataDir, 'outbox-mail');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    destination: directory,
    async send(mail) {
      const info = await transport.sendMail(messageOf(options, mail));
      await mkdir(directory, { recursive: true });
      const file = join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.deliveryId}.eml`);
      await writeFile(file, info.message as Buffer);
      log(`email "${mail.subject}" to ${mail.to} written to ${file}`);
    },
    close: () => transport.close(),
  };
}
