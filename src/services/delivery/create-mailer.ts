/**
 * Sends email with nodemailer: over SMTP when SMTP_URL is set; otherwise (the embedded default)
 * each message is rendered to standard RFC 822 bytes and written as a `.eml` file under
 * `<dataDir>/outbox-mail/`, and logged, so nothing is lost and anyone can open it in a mail client.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

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
  const log = options.log ?? ((message: string) => console.info(message));
  if (options.smtpUrl) {
    const { timeoutMs } = options;
    const transport = nodemailer.createTransport({
      url: options.smtpUrl,
      pool: true,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
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
