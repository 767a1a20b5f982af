/**
 * npx tsx bench/credential-cache.bench.ts — what resolving a credential costs with the credential
 * cache (src/auth/credential-cache.ts) against the same authenticator with the cache off, in the
 * same run: µs per resolve for an API key, a service token and a host-app JWT (HS256), sequential
 * and at 32 concurrent resolves. Prints, never asserts. DATABASE_URL selects PostgreSQL (what the
 * uncached lookups cost depends on the round trip); otherwise an in-memory PGlite.
 * BENCH_RESOLVES (default 2000) per figure.
 */
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { createAuthenticator } from '../src/auth/authenticate.js';
import { openDatabase } from '../src/db/database.js';
import { createApiKey, createOrganization, issueOperatorToken } from '../src/services/organizations.js';
import { createOutboundGuard } from '../src/services/outbound/outbound-guard.js';

const RESOLVES = Number(process.env.BENCH_RESOLVES ?? 2000);
const HOST_SECRET = 'bench-host-secret-0123456789abcdefghij';

const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://' });
const outbound = createOutboundGuard({ allowPrivate: false });
try {
  const { organization, admin } = await createOrganization(database.prisma, {
    name: 'Bench',
    adminName: 'Ada',
    adminEmail: 'ada@bench.test',
  });
  await database.prisma.operator.update({ where: { id: admin.id }, data: { externalId: 'ada' } });
  await database.prisma.hostSignIn.create({
    data: { organizationId: organization.id, issuer: 'https://host.bench', audience: 'panel', sharedSecret: HOST_SECRET },
  });
  const { key } = await createApiKey(database.prisma, organization.id, 'bench');
  const serviceToken = issueOperatorToken('bench-secret', 3600, admin).token;
  const hostToken = await new SignJWT({ org: organization.id, sub: 'ada' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://host.bench')
    .setAudience('panel')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(HOST_SECRET));

  const authenticator = (cacheTtlMs: number) =>
    createAuthenticator({
      prisma: database.prisma,
      tokenSecret: 'bench-secret',
      tokenTtlSeconds: 3600,
      outbound,
      cacheTtlMs,
      cacheCapacity: 10_000,
      jwksCacheMs: 300_000,
    });
  const cached = authenticator(3_600_000);
  const uncached = authenticator(0);

  /** µs per resolve: `concurrency` resolves in flight at once, RESOLVES in all. */
  async function measure(auth: ReturnType<typeof authenticator>, credential: string, concurrency: number) {
    const header = `Bearer ${credential}`;
    const first = await auth.resolve(header);
    if (first.kind === 'anonymous') throw new Error(`credential refused: ${first.reason}`);
    const started = performance.now();
    let left = RESOLVES;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await auth.resolve(header);
      }),
    );
    return ((performance.now() - started) * 1000) / RESOLVES;
  }

  console.log(`\n== credential cache — ${database.kind}, ${RESOLVES} resolves per figure ==\n`);
  for (const [name, credential] of [
    ['API key', key],
    ['service token (JWT)', serviceToken],
    ['host-app JWT (HS256)', hostToken],
  ] as const) {
    for (const concurrency of [1, 32]) {
      const off = await measure(uncached, credential, concurrency);
      const on = await measure(cached, credential, concurrency);
      const label = `${name}, ${concurrency === 1 ? 'sequential' : `${concurrency} at once`}`;
      console.log(
        `${label.padEnd(38)} cache off ${off.toFixed(1).padStart(8)} µs   cache on ${on.toFixed(2).padStart(7)} µs   ${(off / on).toFixed(0)}× faster`,
      );
    }
  }
  cached.close();
  uncached.close();
} finally {
  await outbound.close();
  await database.close();
}
