/**
 * How an outbound URL appears in logs, lastError and system messages: its origin only. Paths and
 * queries often are the secret (a Slack webhook URL's path is its credential), and credentials in
 * the authority are never shown.
 */
export function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const hidden = url.pathname !== '/' || url.search !== '' || url.hash !== '';
    return `${url.origin}${hidden ? '/…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}
