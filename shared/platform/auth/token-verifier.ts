import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { UnavailableError } from '../../application/errors';
import type { Principal, Role } from '../../domain/access/principal';
import type { Settings } from '../config';
import { VerifiedTokenCache } from './verified-token-cache';

/**
 * Bearer-token authentication (RFC 6750). In Azure the tokens come from Microsoft Entra ID and are
 * checked against the tenant's published keys; on the embedded stack a development issuer
 * (`local/dev-issuer.ts`) signs them and leaves its public key set in AUTH_DEV_KEY_DIR.
 */

export class AuthenticationError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'invalid_token',
    readonly description: string,
    readonly missingCredentials = false,
  ) {
    super(description);
    this.name = 'AuthenticationError';
  }
}

export interface TokenVerifier {
  verify(authorizationHeader: string | null | undefined): Promise<Principal>;
}

export type TokenVerifierSettings = Pick<
  Settings,
  'AUTH_MODE' | 'AUTH_ISSUER' | 'AUTH_AUDIENCE' | 'AUTH_JWKS_URI' | 'AUTH_DEV_KEY_DIR'
>;

/** Entra ID signs access tokens with RS256 only. */
const ENTRA_ALGORITHMS = ['RS256'];
/** Must match the algorithm `local/dev-issuer.ts` signs with. */
const DEVELOPMENT_ALGORITHMS = ['ES256'];
const CLOCK_TOLERANCE_SECONDS = 60;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60 * 1000;
const JWKS_COOLDOWN_MS = 30 * 1000;
export const DEV_JWKS_FILE = 'jwks.json';
/** A few thousand active callers per instance; an Entra token is ≈ 1.5 KB, so a few MB at most. */
const VERIFIED_TOKEN_CACHE_ENTRIES = 2_000;
const VERIFIED_TOKEN_CACHE_MAX_AGE_MS = 5 * 60 * 1000;

/**
 * The claims a principal is read from. Exported because the gateway reads the same ones
 * (infra/gateway/policies/global.xml keys its per-user and per-tenant limits on them, and
 * test/infra/gateway.test.ts imports this so a rename here fails there).
 */
export const TOKEN_CLAIMS = {
  /** The user: `oid` (Entra's object id), else `sub`. */
  userId: ['oid', 'sub'],
  /** The tenant of a client user. */
  clientId: 'clientId',
  /** The tenant of a provider user. */
  providerId: 'providerId',
  roles: 'roles',
} as const;

/** Most privileged first: a token carrying several app roles acts with the strongest one. */
const ROLE_PRECEDENCE: readonly Role[] = ['admin', 'operator', 'provider', 'client'];

type Jose = typeof import('jose');
let joseModule: Promise<Jose> | undefined;
/**
 * jose is loaded by the first token that needs a signature check, not when the app is imported: a
 * cold start of a timer or bus trigger never verifies a token, and importing jose is ≈ a fifth of
 * the entry's import time (docs/performance.md, cold start).
 */
const jose = (): Promise<Jose> => (joseModule ??= import('jose'));

export interface TokenVerifierOptions {
  readonly now?: () => Date;
  /** Verified tokens remembered (`verified-token-cache.ts`); 0 turns the cache off. */
  readonly cacheEntries?: number;
}

export function createTokenVerifier(settings: TokenVerifierSettings, opts: TokenVerifierOptions = {}): TokenVerifier {
  const keys = settings.AUTH_MODE === 'entra' ? entraKeys(settings) : developmentKeys(settings);
  const algorithms = settings.AUTH_MODE === 'entra' ? ENTRA_ALGORITHMS : DEVELOPMENT_ALGORITHMS;
  const now = opts.now ?? (() => new Date());
  const verified = new VerifiedTokenCache<Principal>({
    maxEntries: opts.cacheEntries ?? VERIFIED_TOKEN_CACHE_ENTRIES,
    maxAgeMs: VERIFIED_TOKEN_CACHE_MAX_AGE_MS,
  });

  return {
    async verify(authorizationHeader) {
      const token = bearerTokenFrom(authorizationHeader);
      const at = now();
      const known = verified.get(token, at.getTime());
      if (known) return known;
      const payload = await verifiedPayload(await jose(), token, keys, {
        algorithms,
        issuer: settings.AUTH_ISSUER,
        audience: settings.AUTH_AUDIENCE,
        currentDate: at,
      });
      // Frozen: one principal now serves every request that carries this token.
      const principal = Object.freeze(principalFrom(payload));
      verified.set(token, principal, ((payload.exp as number) + CLOCK_TOLERANCE_SECONDS) * 1000, at.getTime());
      return principal;
    },
  };
}

/** The `WWW-Authenticate` value for a 401 (RFC 6750 §3). */
export function wwwAuthenticate(err: AuthenticationError): string {
  // RFC 6750 §3.1: a request with no credentials at all gets the challenge without an error code.
  if (err.missingCredentials) return 'Bearer realm="algesta"';
  return `Bearer realm="algesta", error="${err.code}", error_description="${quotable(err.description)}"`;
}

// ---- keys ----------------------------------------------------------------------------------

/**
 * The tenant's key set, fetched on first use. jose caches it for `cacheMaxAge` and refetches once
 * per cooldown when a token names an unknown `kid` (Entra rotates keys without notice).
 */
function entraKeys(settings: TokenVerifierSettings): JWTVerifyGetKey {
  const uri = settings.AUTH_JWKS_URI;
  if (!uri) throw new Error('AUTH_JWKS_URI is required when AUTH_MODE=entra');
  let remote: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    const { createRemoteJWKSet, errors } = await jose();
    remote ??= createRemoteJWKSet(new URL(uri), {
      cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
    });
    try {
      return await remote(header, token);
    } catch (err) {
      throw isKeySourceFailure(errors, err) ? keysUnavailable(err) : err;
    }
  };
}

/** The development issuer's public key set, read from its folder once. */
function developmentKeys(settings: TokenVerifierSettings): JWTVerifyGetKey {
  const dir = settings.AUTH_DEV_KEY_DIR;
  if (!dir) throw new Error('AUTH_DEV_KEY_DIR is required when AUTH_MODE=development');
  let local: Promise<JWTVerifyGetKey> | undefined;
  return async (header, token) => {
    // A failed read is not remembered, so starting the issuer after the app heals it.
    local ??= readLocalKeySet(join(dir, DEV_JWKS_FILE)).catch((err: unknown) => {
      local = undefined;
      throw err;
    });
    return (await local)(header, token);
  };
}

async function readLocalKeySet(file: string): Promise<JWTVerifyGetKey> {
  const jwks = JSON.parse(await readFile(file, 'utf8')) as JSONWebKeySet;
  return (await jose()).createLocalJWKSet(jwks);
}

/**
 * Errors of the key endpoint itself (unreachable, timeout, not 200, not a key set). These say
 * nothing about the token, so they must not turn into a 401 that makes clients drop good tokens.
 */
function isKeySourceFailure(errors: Jose['errors'], err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return err.code === 'ERR_JWKS_TIMEOUT' || err.code === 'ERR_JOSE_GENERIC' || err.code === 'ERR_JWKS_INVALID';
}

function keysUnavailable(cause: unknown): UnavailableError {
  return Object.assign(new UnavailableError("the identity provider's signing keys are unavailable; retry shortly"), {
    cause,
  });
}

// ---- token ---------------------------------------------------------------------------------

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

function bearerTokenFrom(header: string | null | undefined): string {
  if (!header || header.trim() === '') {
    throw new AuthenticationError('invalid_request', 'missing Authorization header', true);
  }
  const match = BEARER.exec(header.trim());
  if (!match?.[1]) {
    throw new AuthenticationError('invalid_request', 'Authorization header must use the Bearer scheme');
  }
  return match[1];
}

async function verifiedPayload(
  { jwtVerify, errors }: Jose,
  token: string,
  keys: JWTVerifyGetKey,
  expected: { algorithms: string[]; issuer: string; audience: string; currentDate: Date },
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      ...expected,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    return payload;
  } catch (err) {
    if (err instanceof errors.JOSEError) throw new AuthenticationError('invalid_token', rejectionReason(errors, err));
    throw err;
  }
}

/** A short reason for the client; jose's own messages are not shown (they may change wording). */
function rejectionReason(errors: Jose['errors'], err: InstanceType<Jose['errors']['JOSEError']>): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) return claimFailure(err.claim, err.reason);
  switch (err.code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'signing algorithm not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'unknown signing key';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'ambiguous signing key';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'invalid signature';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token';
    default:
      return 'invalid token';
  }
}

function claimFailure(claim: string, reason: string): string {
  if (reason === 'missing') return `missing claim: ${claim}`;
  if (claim === 'nbf') return 'token not yet valid';
  if (claim === 'iss') return 'unexpected issuer';
  if (claim === 'aud') return 'unexpected audience';
  return `invalid claim: ${claim}`;
}

// ---- claims → principal --------------------------------------------------------------------

function principalFrom(claims: JWTPayload): Principal {
  const [primaryUserClaim, fallbackUserClaim] = TOKEN_CLAIMS.userId;
  const userId = stringClaim(claims, primaryUserClaim) ?? stringClaim(claims, fallbackUserClaim);
  if (!userId) throw new AuthenticationError('invalid_token', 'missing claim: oid or sub');
  const role = strongestRole(claims[TOKEN_CLAIMS.roles]);
  if (!role) throw new AuthenticationError('invalid_token', 'no recognised role');
  return {
    userId,
    role,
    ...tenantOf(role, claims),
    ...optional('name', stringClaim(claims, 'name')),
    ...optional('email', stringClaim(claims, 'email') ?? stringClaim(claims, 'preferred_username')),
  };
}

function strongestRole(roles: unknown): Role | undefined {
  if (!Array.isArray(roles)) return undefined;
  return ROLE_PRECEDENCE.find((role) => roles.includes(role));
}

/** The one tenant a client or provider is confined to; staff tokens carry none. */
function tenantOf(role: Role, claims: JWTPayload): Pick<Principal, 'clientId' | 'providerId'> {
  if (role === 'client') return { clientId: requiredClaim(claims, TOKEN_CLAIMS.clientId) };
  if (role === 'provider') return { providerId: requiredClaim(claims, TOKEN_CLAIMS.providerId) };
  return {};
}

function requiredClaim(claims: JWTPayload, name: string): string {
  const value = stringClaim(claims, name);
  if (!value) throw new AuthenticationError('invalid_token', `missing claim: ${name}`);
  return value;
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** RFC 6750 allows only printable ASCII without `"` and `\` inside error_description. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "'");
}
