/**
 * The last line of defence of every log line (pino's `streamWrite` hook): whatever a message or an
 * error's text carries, credentials in URLs, bearer tokens, integrator API keys, operator tokens
 * and `whsec_` webhook secrets are replaced before the line is written. Fields named like secrets
 * are removed earlier by pino's `redact` (logger.ts); URLs are logged as their origin (describeUrl).
 */
const PATTERNS: readonly [RegExp, string][] = [
  // scheme://user:password@host, scheme://token@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'\\]+@/gi, '$1[REDACTED]@'],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [REDACTED]'],
  [/\bnbk_[0-9a-f-]{36}_[A-Za-z0-9_-]+/g, 'nbk_[REDACTED]'],
  [/\bv1\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, 'v1.[REDACTED]'],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, 'whsec_[REDACTED]'],
];

export function scrubSecrets(line: string): string {
  let out = line;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
