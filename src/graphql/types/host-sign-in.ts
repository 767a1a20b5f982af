/**
 * Host-app sign-in (issue 9): an organization accepts JWTs its host application signs. Admins read
 * the setting as `organization { hostSignIn { … } }` (the shared secret never: write-only) and
 * change it with configureHostSignIn / removeHostSignIn.
 */
import { organizationOf } from '../../context.js';
import { configureHostSignIn, removeHostSignIn } from '../../services/host-sign-in.js';
import { builder } from '../builder.js';
import { OrganizationNode } from './organization.js';

const OperatorMatchEnum = builder.enumType('OperatorMatch', {
  description: "What a host token's operator claim holds.",
  values: {
    EXTERNAL_ID: { description: "The operator's externalId (the host application's own id of the person)." },
    EMAIL: { description: "The operator's email address (case-insensitive; exactly one active operator must have it)." },
  },
});

const HostSignInKeyKindEnum = builder.enumType('HostSignInKeyKind', {
  description: 'How host tokens are verified.',
  values: {
    SHARED_SECRET: { description: 'HS256 with a shared secret.' },
    PUBLIC_KEY: { description: 'A PEM public key (RSA: RS256, EC: ES256/384/512, Ed25519: EdDSA).' },
    JWKS_URL: { description: 'The keys published at a JWKS URL (fetched through the outbound guard, cached).' },
  },
});

const HostSignInRef = builder.prismaObject('HostSignIn', {
  description: "The organization's host-app sign-in: JWTs its host application signs are accepted as operator tokens.",
  fields: (t) => ({
    issuer: t.exposeString('issuer', { description: 'Required `iss` claim.' }),
    audience: t.exposeString('audience', { description: 'Required `aud` claim.' }),
    keyKind: t.field({
      type: HostSignInKeyKindEnum,
      description: 'How tokens are verified (the shared secret itself is never shown).',
      resolve: (row) => (row.sharedSecret ? 'SHARED_SECRET' : row.publicKey ? 'PUBLIC_KEY' : 'JWKS_URL'),
    }),
    publicKey: t.exposeString('publicKey', { nullable: true, description: 'The PEM public key, when that is the key kind.' }),
    jwksUrl: t.exposeString('jwksUrl', { nullable: true, description: 'The JWKS URL, when that is the key kind.' }),
    operatorClaim: t.exposeString('operatorClaim', { description: 'The claim naming the operator.' }),
    operatorMatch: t.expose('operatorMatch', { type: OperatorMatchEnum, description: 'What that claim holds.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the setting last changed.' }),
  }),
});

builder.objectField(OrganizationNode, 'hostSignIn', (t) =>
  t.prismaField({
    type: HostSignInRef,
    nullable: true,
    description: "The organization's host-app sign-in setting, if any (admins only).",
    authScopes: { admin: true },
    resolve: (query, organization, _args, ctx) => {
      // Selecting only __typename leaves an empty select, which Prisma refuses.
      const select = (query as { select?: object }).select;
      const chosen = select && Object.keys(select).length === 0 ? { select: { organizationId: true } } : query;
      return ctx.prisma.hostSignIn.findUnique({ ...chosen, where: { organizationId: organization.id } });
    },
  }),
);

const ConfigureHostSignInInput = builder.inputType('ConfigureHostSignInInput', {
  fields: (t) => ({
    issuer: t.string({ required: true, description: 'The `iss` the host application puts in its tokens.' }),
    audience: t.string({ required: true, description: 'The `aud` the host application puts in its tokens.' }),
    sharedSecret: t.string({ description: 'HS256 shared secret, at least 32 characters (write-only). Give exactly one key.' }),
    publicKey: t.string({ description: 'PEM public key (SPKI). Give exactly one key.' }),
    jwksUrl: t.string({ description: 'URL of the host application’s JWKS (public http(s) address). Give exactly one key.' }),
    operatorClaim: t.string({ description: 'The claim naming the operator (default "sub").' }),
    operatorMatch: t.field({ type: OperatorMatchEnum, description: 'What the claim holds (default EXTERNAL_ID).' }),
  }),
});

builder.mutationField('configureHostSignIn', (t) =>
  t.field({
    type: HostSignInRef,
    description:
      "Sets the organization's host-app sign-in (admins only). Tokens need `iss`, `aud`, `exp` (at most TOKEN_TTL_SECONDS ahead) and the operator claim; `org` (the organization id) is optional when no other organization uses the same issuer.",
    authScopes: { admin: true },
    errors: {},
    args: { input: t.arg({ type: ConfigureHostSignInInput, required: true }) },
    resolve: (_root, { input }, ctx) => configureHostSignIn(ctx.services, organizationOf(ctx.viewer), input),
  }),
);

builder.mutationField('removeHostSignIn', (t) =>
  t.boolean({
    description:
      "Removes the organization's host-app sign-in (admins only): the tokens it accepted are refused at once. False when there was none.",
    authScopes: { admin: true },
    errors: {},
    resolve: (_root, _args, ctx) => removeHostSignIn(ctx.services, organizationOf(ctx.viewer)),
  }),
);
