/**
 * The digest email of a quiet spell (extensions.md E2): every email deferred while the operator
 * was in quiet time, sent as one email when it ends, listing them in the order they happened (by
 * time, then event id: ids are time-ordered). Pure: built from each event's own email.
 */
import { type EmailContent, type EventDetails, renderEmail } from './email-content.js';

const SEPARATOR = '\n\n----------------------------------------\n\n';

export function renderQuietTimeDigest(events: readonly EventDetails[]): EmailContent {
  const ordered = [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.eventId < b.eventId ? -1 : 1));
  const emails = ordered.map((details) => renderEmail(details));
  const organization = ordered[0]?.organization.name ?? '';
  const count = ordered.length;
  const subject = `[${organization}] ${count} notification${count === 1 ? '' : 's'} from your quiet time`;
  const intro = `While you were in quiet time, ${count} notification${count === 1 ? '' : 's'} waited for you, in order:`;
  const text = [intro, ...emails.map((email, i) => `${i + 1}. ${email.text}`)].join(SEPARATOR);
  const bodies = emails.map((email) => /<body>(.*)<\/body>/s.exec(email.html)?.[1] ?? '');
  const html = `<!doctype html><html><body><p>${intro}</p>${bodies.map((body) => `<hr>${body}`).join('')}</body></html>`;
  return { subject, text, html };
}
