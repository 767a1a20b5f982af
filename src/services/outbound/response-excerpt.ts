/**
 * The most of a receiver's answer the service keeps: a short excerpt of an error response's body,
 * control and format characters replaced, whitespace collapsed. At most `READ_LIMIT` bytes are
 * read whatever the receiver sends, then the body is dropped.
 */
import type { Response } from 'undici';

export const EXCERPT_MAX_CHARS = 200;
const READ_LIMIT = 2048;

/** Control (Cc) and format (Cf: bidi overrides, zero-width) characters become spaces. */
export function sanitizeExcerpt(text: string, maxChars = EXCERPT_MAX_CHARS): string {
  const clean = text
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(clean);
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : clean;
}

export async function responseExcerpt(response: Response, maxChars = EXCERPT_MAX_CHARS): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < READ_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short still gives what arrived.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = Buffer.concat(chunks).subarray(0, READ_LIMIT);
  return sanitizeExcerpt(new TextDecoder('utf-8', { fatal: false }).decode(bytes), maxChars);
}
