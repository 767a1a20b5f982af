/**
 * The one door for outbound traffic (addon URLs, Help Scout's API, the SMTP server): every sender
 * goes through it, so a new sender inherits the same refusals.
 *
 * - Before anything is stored or sent, a URL must be http(s), carry no credentials, and its host
 *   must not be a refused IP literal (any notation: `new URL()` normalizes 127.1, 2130706433,
 *   0x7f000001, 0177.0.0.1 to 127.0.0.1) nor `localhost` (classify-address.ts).
 * - When connecting, the DNS answer is checked inside the socket's own `lookup`, so the address
 *   checked is the address connected to (no gap for DNS rebinding); one refused address in the
 *   answer refuses the whole name. The request never leaves, so no header (Help Scout's bearer
 *   token) reaches a refused address.
 * - Redirects are never followed (`redirect: 'manual'`): callers treat a 3xx as a failure.
 *
 * `allowPrivate` (OUTBOUND_ALLOW_PRIVATE) turns the address checks off, for tests and local
 * development whose receivers listen on loopback; scheme and credential checks stay on.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, type Response, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from 'undici';
import { AppError } from '../../errors.js';
import { classifyAddress, classifyHost, isIpLiteral, isLocalhostName, unbracket } from './classify-address.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}
/** Every address a host name resolves to now (dns.lookup with `all`). Injected by tests to fake DNS. */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface OutboundGuardOptions {
  /** OUTBOUND_ALLOW_PRIVATE: loopback, private and other non-public addresses are allowed. */
  allowPrivate: boolean;
  resolve?: ResolveHost;
}

/** An outbound request refused by the guard: nothing was sent. */
export class OutboundRefusedError extends Error {
  readonly code = 'EOUTBOUNDREFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export type OutboundRequestInit = Omit<UndiciRequestInit, 'redirect' | 'dispatcher'>;

export interface OutboundGuard {
  /** The verdict on a URL before any DNS: scheme, credentials, literal address, localhost. */
  checkUrl(raw: string): UrlVerdict;
  /** Throws AppError URL_NOT_ALLOWED on `field` when `checkUrl` refuses. */
  assertUrlAllowed(raw: string, field: string): void;
  /** fetch with the checks above and at connection time; never follows redirects. Throws OutboundRefusedError. */
  fetch(url: string, init: OutboundRequestInit): Promise<Response>;
  /** A TCP connection to host:port (SMTP), with the same checks. Throws OutboundRefusedError. */
  connect(host: string, port: number, timeoutMs: number): Promise<Socket>;
  /** Ends every connection, cutting requests still in flight (called once the shutdown grace is over). */
  close(): Promise<void>;
}

type LookupCallback = (error: unknown, address?: string | ResolvedAddress[], family?: number) => void;

const defaultResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export function createOutboundGuard(options: OutboundGuardOptions): OutboundGuard {
  const { allowPrivate } = options;
  const resolveHost = options.resolve ?? defaultResolve;

  function checkUrl(raw: string): UrlVerdict {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'is not a URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'must be an http(s) URL' };
    if (url.username !== '' || url.password !== '') return { ok: false, reason: 'must not contain credentials (user:password@)' };
    if (allowPrivate) return url.hostname === '' ? { ok: false, reason: 'has no host' } : { ok: true, url };
    const verdict = classifyHost(url.hostname);
    return verdict.allowed ? { ok: true, url } : { ok: false, reason: `must not point to a ${verdict.reason}` };
  }

  /** The addresses to connect to for `host`, every one checked; refuses when any is refused. */
  async function resolveChecked(host: string): Promise<ResolvedAddress[]> {
    if (isIpLiteral(host)) {
      const parsed = ipaddr.parse(unbracket(host));
      const verdict = allowPrivate ? { allowed: true as const } : classifyAddress(parsed.toString());
      if (!verdict.allowed) throw new OutboundRefusedError(`${verdict.reason} is not allowed`);
      return [{ address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 }];
    }
    if (!allowPrivate && isLocalhostName(host)) throw new OutboundRefusedError(`${host} is a loopback name`);
    const addresses = [...(await resolveHost(host))];
    if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
    // The address itself stays out of the message: it is stored in lastError, and would map internal names.
    if (!allowPrivate && addresses.some((a) => !classifyAddress(a.address).allowed))
      throw new OutboundRefusedError(`${host} resolves to a non-public address`);
    return addresses;
  }

  // net/tls call this for every host name they connect to (never for IP literals, checked before).
  const lookup = ((hostname: string, lookupOptions: { all?: boolean; family?: number | string }, callback: LookupCallback) => {
    resolveChecked(hostname).then(
      (addresses) => {
        const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : Number(lookupOptions.family ?? 0);
        const wanted = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const first = wanted[0];
        if (lookupOptions.all) callback(null, wanted);
        else if (first) callback(null, first.address, first.family);
        else callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }));
      },
      (error: unknown) => callback(error),
    );
  }) as unknown as LookupFunction;

  const agent = new Agent({ connect: { lookup } });

  return {
    checkUrl,
    assertUrlAllowed(raw, field) {
      const verdict = checkUrl(raw);
      if (!verdict.ok) throw new AppError('URL_NOT_ALLOWED', `${field} ${verdict.reason}`, field);
    },
    async fetch(url, init) {
      const verdict = checkUrl(url);
      if (!verdict.ok) throw new OutboundRefusedError(`the URL ${verdict.reason}`);
      try {
        return await undiciFetch(verdict.url, { ...init, redirect: 'manual', dispatcher: agent });
      } catch (error) {
        // undici wraps the lookup's error as the cause of "fetch failed".
        const cause = (error as { cause?: unknown }).cause;
        throw cause instanceof OutboundRefusedError ? cause : error;
      }
    },
    async connect(host, port, timeoutMs) {
      if (!allowPrivate) {
        const verdict = classifyHost(host);
        if (!verdict.allowed) throw new OutboundRefusedError(`${verdict.reason} is not allowed`);
      }
      return new Promise<Socket>((resolve, reject) => {
        const socket = netConnect({ host, port, lookup, timeout: timeoutMs });
        const fail = (error: Error) => {
          socket.destroy();
          reject(error);
        };
        const onTimeout = () => fail(Object.assign(new Error(`connection to ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
        socket.once('error', fail);
        socket.once('timeout', onTimeout);
        socket.once('connect', () => {
          socket.off('error', fail);
          socket.off('timeout', onTimeout);
          socket.setTimeout(0);
          resolve(socket);
        });
      });
    },
    // destroy, not close: close would wait for a hanging receiver up to its timeout after the grace.
    close: () => agent.destroy(),
  };
}
