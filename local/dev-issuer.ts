import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Role } from '../shared/domain/access/principal';
import { DEV_JWKS_FILE } from '../shared/platform/auth/token-verifier';

/**
 * The development token issuer of the embedded stack: a key pair kept in a folder on this machine.
 * It stands in for Entra ID locally; the app verifies its tokens with the public set it leaves in
 * `jwks.json` (AUTH_MODE=development, allowed only with APP_ENV=local).
 */
export const DEV_ISSUER = 'https://login.algesta.local/dev';
export const DEV_AUDIENCE = 'api://algesta-local';

/** Must match the development algorithms the token verifier accepts. */
const ALG = 'ES256';
const PRIVATE_KEY_FILE = 'private.jwk.json';

export interface DevTokenClaims {
  sub: string;
  role: Role;
  clientId?: string;
  providerId?: string;
  name?: string;
  email?: string;
}

export interface MintOptions {
  issuer: string;
  audience: string;
  /** A jose time span such as '8h' or '30m'. */
  expiresIn?: string;
}

export interface DevIssuer {
  /** The `kid` of the signing key, as published in `jwks.json`. */
  readonly kid: string;
  mint(claims: DevTokenClaims, opts?: MintOptions): Promise<string>;
}

export async function loadOrCreateDevIssuer(dir: string): Promise<DevIssuer> {
  await mkdir(dir, { recursive: true });
  const privateJwk = (await readPrivateJwk(dir)) ?? (await createPrivateJwk(dir));
  await publishPublicSet(dir, privateJwk);
  const kid = privateJwk.kid as string;
  const key = await importJWK(privateJwk, ALG);
  return {
    kid,
    mint: (claims, opts) => signToken(key, kid, claims, opts ?? { issuer: DEV_ISSUER, audience: DEV_AUDIENCE }),
  };
}

async function signToken(
  key: Awaited<ReturnType<typeof importJWK>>,
  kid: string,
  claims: DevTokenClaims,
  opts: MintOptions,
): Promise<string> {
  const { sub, role, ...optionalClaims } = claims;
  // Same shape as Entra ID: app roles travel in `roles`.
  return new SignJWT({ roles: [role], ...definedOnly(optionalClaims) })
    .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(opts.expiresIn ?? '8h')
    .sign(key);
}

function definedOnly(claims: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).filter((e): e is [string, string] => e[1] !== undefined));
}

// ---- key storage ---------------------------------------------------------------------------

async function readPrivateJwk(dir: string): Promise<JWK | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, PRIVATE_KEY_FILE), 'utf8')) as JWK;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Generates the key and stores it without ever exposing a half-written file. `npm start` and
 * `npm run token` may both run first; `link` fails if the other won, and then its key is used.
 */
async function createPrivateJwk(dir: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const complete: JWK = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ALG, use: 'sig' };
  const temp = join(dir, `${PRIVATE_KEY_FILE}.${randomUUID()}.tmp`);
  await writeFile(temp, JSON.stringify(complete, null, 2) + '\n', { mode: 0o600 });
  await chmod(temp, 0o600); // the umask applies to writeFile's mode; the key file must be exactly owner-only
  try {
    await link(temp, join(dir, PRIVATE_KEY_FILE));
    return complete;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readPrivateJwk(dir)) as JWK;
  } finally {
    await unlink(temp);
  }
}

/** `jwks.json` is derived from the private key, so every writer writes the same content. */
async function publishPublicSet(dir: string, privateJwk: JWK): Promise<void> {
  const { d: _d, ...publicJwk } = privateJwk;
  const content = JSON.stringify({ keys: [publicJwk] }, null, 2) + '\n';
  const file = join(dir, DEV_JWKS_FILE);
  if ((await readFile(file, 'utf8').catch(() => undefined)) === content) return;
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}
