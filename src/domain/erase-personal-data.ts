/**
 * What of a stored payload is a visitor's personal data (name, email, what they or an operator
 * wrote in the chat), and the payload without it. What analytics count (kinds, ratings, the number
 * of survey answers, goals, dates) stays.
 */

/** Keys whose value is personal: erased to null wherever they appear. */
const PERSONAL_KEYS = new Set(['visitorName', 'visitorEmail', 'text', 'comment', 'summary']);

export function erasePersonalData(payload: unknown): unknown {
  if (Array.isArray(payload)) return payload.map(erasePersonalData);
  if (payload === null || typeof payload !== 'object') return payload;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload as Record<string, unknown>)) {
    if (PERSONAL_KEYS.has(key)) out[key] = null;
    else if (key === 'answers' && Array.isArray(value))
      out[key] = value.map((a) => (a !== null && typeof a === 'object' ? { ...(a as object), answer: null } : null));
    else if (key === 'transcript' && Array.isArray(value))
      out[key] = value.map((line) => (line !== null && typeof line === 'object' ? { ...(line as object), text: null } : null));
    else out[key] = erasePersonalData(value);
  }
  return out;
}
