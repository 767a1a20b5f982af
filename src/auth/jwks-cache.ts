/**
 * Host applications' key sets (JWKS), fetched through the outbound guard (so a JWKS URL can never
 * reach a private or metadata address, not even by DNS rebinding) and kept `ttlMs` per URL.
 * Invalidated by time, and by a token naming a key id the cached set lacks (the host rotated its
 * keys): then the set is fetched again, at most once per `refetchAfterMs`, so forged key ids cannot
 * make the service hammer the host. Concurrent misses share one fetch.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Response } from 'undici';
import type { OutboundGuard } from '../services/outbound/outbound-guard.js';

/** A JWKS is a handful of keys: a few KB. More is refused, whatever the server sends. */
const MAX_JWKS_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 5_000;
/** Most URLs kept at once (one per organization using a JWKS, plus the deployment's). */
const CAPACITY = 1_000;

export class JwksUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwksUnavailableError';
  }
}

interface Entry {
  keys: JWTVerifyGetKey;
  fetchedAt: number;
}

export interface JwksCacheOptions {
  outbound: Pick<OutboundGuard, 'fetch'>;
  ttlMs: number;
  refetchAfterMs?: number;
}

export class JwksCache {
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<Entry>>();

  constructor(private readonly options: JwksCacheOptions) {}

  /** The key set of `url`; `stale` asks for a fresh fetch (unknown key id) unless the last one is recent. */
  async keys(url: string, stale = false): Promise<JWTVerifyGetKey> {
    const entry = this.#entries.get(url);
    const age = entry ? Date.now() - entry.fetchedAt : Number.POSITIVE_INFINITY;
    if (entry && age < this.options.ttlMs && !(stale && age >= (this.options.refetchAfterMs ?? 30_000))) return entry.keys;
    let pending = this.#pending.get(url);
    if (!pending) {
      pending = this.#fetch(url).finally(() => this.#pending.delete(url));
      this.#pending.set(url, pending);
    }
    return (await pending).keys;
  }

  /** Forgets every key set (a setting changed). */
  clear(url?: string): void {
    if (url === undefined) this.#entries.clear();
    else this.#entries.delete(url);
  }

  async #fetch(url: string): Promise<Entry> {
    let text: string;
    try {
      const response = await this.options.outbound.fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw new JwksUnavailableError(`answered ${response.status}`);
      }
      text = await readLimited(response.body, MAX_JWKS_BYTES);
    } catch (error) {
      throw error instanceof JwksUnavailableError ? error : new JwksUnavailableError((error as Error).message);
    }
    let keys: JWTVerifyGetKey;
    try {
      keys = createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
    } catch {
      throw new JwksUnavailableError('did not answer a JSON Web Key Set');
    }
    const entry = { keys, fetchedAt: Date.now() };
    this.#entries.delete(url);
    this.#entries.set(url, entry);
    while (this.#entries.size > CAPACITY) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return entry;
  }
}

async function readLimited(body: Response['body'], limit: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw new JwksUnavailableError(`answered more than ${limit} bytes`);
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).toString('utf8');
}
