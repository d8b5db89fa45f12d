import { DEMO } from '../../local/seed';
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevIssuer, type DevIssuer } from '../../local/dev-issuer';
import { UnavailableError } from '../../shared/application/errors';
import {
  AuthenticationError,
  createTokenVerifier,
  wwwAuthenticate,
  type TokenVerifier,
  type TokenVerifierSettings,
} from '../../shared/platform/auth/token-verifier';
import { VerifiedTokenCache } from '../../shared/platform/auth/verified-token-cache';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const devOpts = { issuer: DEV_ISSUER, audience: DEV_AUDIENCE };

let tempRoot: string;
let keyDir: string;
let issuer: DevIssuer;
let devSettings: TokenVerifierSettings;
let verifier: TokenVerifier;

beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'algesta-auth-'));
  keyDir = join(tempRoot, 'dev-issuer');
  issuer = await loadOrCreateDevIssuer(keyDir);
  devSettings = {
    AUTH_MODE: 'development',
    AUTH_ISSUER: DEV_ISSUER,
    AUTH_AUDIENCE: DEV_AUDIENCE,
    AUTH_JWKS_URI: undefined,
    AUTH_DEV_KEY_DIR: keyDir,
  };
  verifier = createTokenVerifier(devSettings);
});

afterAll(async () => {
  await rm(tempRoot, { recursive: true, force: true });
});

/** Signs arbitrary claims with the development issuer's own key, for shapes `mint` does not make. */
async function signWithDevKey(payload: JWTPayload): Promise<string> {
  const jwk = JSON.parse(await readFile(join(keyDir, 'private.jwk.json'), 'utf8')) as JWK;
  const nowSeconds = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: DEV_ISSUER, aud: DEV_AUDIENCE, iat: nowSeconds, exp: nowSeconds + 600, ...payload })
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid as string })
    .sign(await importJWK(jwk, 'ES256'));
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function rejection(v: TokenVerifier, header: string | null | undefined): Promise<AuthenticationError> {
  const err = await v.verify(header).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthenticationError);
  return err as AuthenticationError;
}

describe('development issuer', () => {
  it('stores the private key with mode 0600 and reuses the key pair', async () => {
    if (process.platform !== 'win32') {
      expect((await stat(join(keyDir, 'private.jwk.json'))).mode & 0o777).toBe(0o600);
    }
    const jwks = JSON.parse(await readFile(join(keyDir, 'jwks.json'), 'utf8')) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: issuer.kid, kty: 'EC', alg: 'ES256' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const again = await loadOrCreateDevIssuer(keyDir);
    expect(again.kid).toBe(issuer.kid);
  });
});

describe('token verifier (development)', () => {
  it('maps each role and its claims to a principal', async () => {
    const admin = await issuer.mint({ sub: 'u-admin', role: 'admin', name: 'Ada', email: 'ada@example.com' }, devOpts);
    expect(await verifier.verify(`Bearer ${admin}`)).toEqual({
      userId: 'u-admin',
      role: 'admin',
      name: 'Ada',
      email: 'ada@example.com',
    });
    const operator = await issuer.mint({ sub: 'u-op', role: 'operator' }, devOpts);
    expect(await verifier.verify(`Bearer ${operator}`)).toEqual({ userId: 'u-op', role: 'operator' });
    const client = await issuer.mint({ sub: 'u-cli', role: 'client', clientId: 'cli_1' }, devOpts);
    expect(await verifier.verify(`Bearer ${client}`)).toEqual({ userId: 'u-cli', role: 'client', clientId: 'cli_1' });
    const provider = await issuer.mint({ sub: 'u-prv', role: 'provider', providerId: 'prv_1' }, devOpts);
    expect(await verifier.verify(`bearer ${provider}`)).toEqual({ userId: 'u-prv', role: 'provider', providerId: 'prv_1' });
  });

  it('mints with the development issuer and audience by default', async () => {
    const token = await issuer.mint({ sub: 'u-op', role: 'operator' });
    expect((await verifier.verify(`Bearer ${token}`)).role).toBe('operator');
  });

  it('takes the most privileged known role and prefers oid and preferred_username', async () => {
    const token = await signWithDevKey({
      sub: 'pairwise-sub',
      oid: 'object-id',
      roles: ['Reader', 'client', 'provider', 'operator'],
      clientId: 'cli_1',
      preferred_username: 'op@example.com',
    });
    expect(await verifier.verify(`Bearer ${token}`)).toEqual({ userId: 'object-id', role: 'operator', email: 'op@example.com' });
    const providerOverClient = await signWithDevKey({ sub: 's', roles: ['client', 'provider'], clientId: 'c', providerId: 'p' });
    expect(await verifier.verify(`Bearer ${providerOverClient}`)).toEqual({ userId: 's', role: 'provider', providerId: 'p' });
    const adminFirst = await signWithDevKey({ sub: 's', roles: ['operator', 'admin'] });
    expect((await verifier.verify(`Bearer ${adminFirst}`)).role).toBe('admin');
  });

  it('accepts a token expired less than the clock tolerance ago', async () => {
    const token = await signWithDevKey({ sub: 's', roles: ['admin'], exp: Math.floor(Date.now() / 1000) - 30 });
    expect((await verifier.verify(`Bearer ${token}`)).role).toBe('admin');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['empty', ''],
    ['Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer without a token', 'Bearer'],
    ['Bearer with two tokens', 'Bearer a.b.c d.e.f'],
  ])('rejects a %s header as invalid_request', async (_label, header) => {
    const err = await rejection(verifier, header);
    expect(err.code).toBe('invalid_request');
  });

  it('rejects malformed tokens', async () => {
    for (const token of ['abc', 'not.a.jwt', 'a.b', base64url({ alg: 'ES256' }) + '.e30.']) {
      const err = await rejection(verifier, `Bearer ${token}`);
      expect(err.code).toBe('invalid_token');
    }
    expect((await rejection(verifier, 'Bearer not.a.jwt')).description).toBe('malformed token');
  });

  it('rejects an expired token', async () => {
    const token = await issuer.mint({ sub: 's', role: 'admin' }, { ...devOpts, expiresIn: '5m' });
    const later = createTokenVerifier(devSettings, { now: () => new Date(Date.now() + 10 * 60_000) });
    const err = await rejection(later, `Bearer ${token}`);
    expect(err).toMatchObject({ code: 'invalid_token', description: 'token expired' });
  });

  it('rejects a token that is not yet valid beyond the tolerance', async () => {
    const token = await signWithDevKey({ sub: 's', roles: ['admin'], nbf: Math.floor(Date.now() / 1000) + 300 });
    const err = await rejection(verifier, `Bearer ${token}`);
    expect(err).toMatchObject({ code: 'invalid_token', description: 'token not yet valid' });
  });

  it('rejects a token without exp', async () => {
    const token = await signWithDevKey({ sub: 's', roles: ['admin'], exp: undefined });
    const err = await rejection(verifier, `Bearer ${token}`);
    expect(err).toMatchObject({ code: 'invalid_token', description: 'missing claim: exp' });
  });

  it('rejects a wrong issuer and a wrong audience', async () => {
    const wrongIssuer = await issuer.mint({ sub: 's', role: 'admin' }, { ...devOpts, issuer: 'https://evil.example' });
    expect(await rejection(verifier, `Bearer ${wrongIssuer}`)).toMatchObject({
      code: 'invalid_token',
      description: 'unexpected issuer',
    });
    const wrongAudience = await issuer.mint({ sub: 's', role: 'admin' }, { ...devOpts, audience: 'api://other' });
    expect(await rejection(verifier, `Bearer ${wrongAudience}`)).toMatchObject({
      code: 'invalid_token',
      description: 'unexpected audience',
    });
  });

  it('rejects an unsecured token (alg: none)', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const payload = { iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: 's', roles: ['admin'], exp: nowSeconds + 600 };
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
    const err = await rejection(verifier, `Bearer ${token}`);
    expect(err).toMatchObject({ code: 'invalid_token', description: 'signing algorithm not allowed' });
  });

  it('rejects HS256 signed with the public key as the HMAC secret', async () => {
    const jwks = await readFile(join(keyDir, 'jwks.json'));
    const publicJwk = (JSON.parse(jwks.toString('utf8')) as { keys: JWK[] }).keys[0] as JWK;
    const pem = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    for (const secret of [Buffer.from(pem), jwks]) {
      const token = await new SignJWT({ sub: 's', roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256', kid: issuer.kid })
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setExpirationTime('5m')
        .sign(new Uint8Array(secret));
      const err = await rejection(verifier, `Bearer ${token}`);
      expect(err).toMatchObject({ code: 'invalid_token', description: 'signing algorithm not allowed' });
    }
  });

  it('rejects a token signed by another key with an unknown kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ sub: 's', roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'someone-else' })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await rejection(verifier, `Bearer ${token}`)).toMatchObject({
      code: 'invalid_token',
      description: 'unknown signing key',
    });
  });

  it('rejects a tampered payload (bad signature) without echoing the token', async () => {
    const token = await issuer.mint({ sub: 's', role: 'client', clientId: 'cli_1' }, devOpts);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${base64url({ iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: 's', roles: ['admin'], exp: 4102444800 })}.${signature}`;
    const err = await rejection(verifier, `Bearer ${forged}`);
    expect(err).toMatchObject({ code: 'invalid_token', description: 'invalid signature' });
    expect(err.message).not.toContain(forged);
    expect(wwwAuthenticate(err)).not.toContain(forged);
  });

  it('rejects missing tenant claims and tokens without a known role', async () => {
    const client = await issuer.mint({ sub: 's', role: 'client' }, devOpts);
    expect(await rejection(verifier, `Bearer ${client}`)).toMatchObject({
      code: 'invalid_token',
      description: 'missing claim: clientId',
    });
    const provider = await issuer.mint({ sub: 's', role: 'provider' }, devOpts);
    expect(await rejection(verifier, `Bearer ${provider}`)).toMatchObject({
      code: 'invalid_token',
      description: 'missing claim: providerId',
    });
    for (const roles of [undefined, [], ['Reader'], 'admin']) {
      const token = await signWithDevKey({ sub: 's', roles });
      expect(await rejection(verifier, `Bearer ${token}`)).toMatchObject({
        code: 'invalid_token',
        description: 'no recognised role',
      });
    }
    const noSubject = await signWithDevKey({ roles: ['admin'] });
    expect((await rejection(verifier, `Bearer ${noSubject}`)).code).toBe('invalid_token');
  });

  it('formats the WWW-Authenticate header per RFC 6750', () => {
    expect(wwwAuthenticate(new AuthenticationError('invalid_token', 'token expired'))).toBe(
      'Bearer realm="algesta", error="invalid_token", error_description="token expired"',
    );
    expect(wwwAuthenticate(new AuthenticationError('invalid_request', 'say "hi"\\'))).toBe(
      `Bearer realm="algesta", error="invalid_request", error_description="say 'hi''"`,
    );
    // No credentials at all: the bare challenge, without an error code (RFC 6750 §3.1).
    expect(wwwAuthenticate(new AuthenticationError('invalid_request', 'missing Authorization header', true))).toBe(
      'Bearer realm="algesta"',
    );
  });
});

describe('verified tokens are remembered, never trusted beyond their check', () => {
  it('a token seen before skips the signature check: the same frozen principal comes back; with no cache, a new one', async () => {
    const token = await issuer.mint({ sub: 'cached', role: 'client', clientId: 'cli_1' }, devOpts);
    const cached = createTokenVerifier(devSettings);
    const first = await cached.verify(`Bearer ${token}`);
    expect(await cached.verify(`Bearer ${token}`)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const uncached = createTokenVerifier(devSettings, { cacheEntries: 0 });
    const a = await uncached.verify(`Bearer ${token}`);
    const b = await uncached.verify(`Bearer ${token}`);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
  });

  it('a remembered token is refused once it expires, with the same reason as the full check', async () => {
    let clock = Date.now();
    const v = createTokenVerifier(devSettings, { now: () => new Date(clock) });
    const token = await issuer.mint({ sub: 's', role: 'admin' }, { ...devOpts, expiresIn: '5m' });
    await v.verify(`Bearer ${token}`);
    clock += 5 * 60_000 + 59_000; // inside the 60 s tolerance: still good
    expect((await v.verify(`Bearer ${token}`)).userId).toBe('s');
    clock += 2_000;
    expect(await rejection(v, `Bearer ${token}`)).toMatchObject({ code: 'invalid_token', description: 'token expired' });
  });

  it('an altered copy of a remembered token gets the full check and is refused', async () => {
    const token = await issuer.mint({ sub: 's', role: 'operator' }, devOpts);
    await verifier.verify(`Bearer ${token}`);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const otherSig = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await rejection(verifier, `Bearer ${otherSig}`)).description).toBe('invalid signature');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as JWTPayload;
    const promoted = `${h}.${base64url({ ...claims, roles: ['admin'] })}.${sig}`;
    expect((await rejection(verifier, `Bearer ${promoted}`)).description).toBe('invalid signature');
  });
});

describe('VerifiedTokenCache', () => {
  it('drops the least recently used entry when full', () => {
    const cache = new VerifiedTokenCache<number>({ maxEntries: 2, maxAgeMs: 60_000 });
    const far = 10 ** 15;
    cache.set('a', 1, far, 0);
    cache.set('b', 2, far, 0);
    expect(cache.get('a', 1)).toBe(1); // a is now the most recent
    cache.set('c', 3, far, 1);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 2)).toBeUndefined();
    expect([cache.get('a', 2), cache.get('c', 2)]).toEqual([1, 3]);
  });

  it('forgets an entry at its maximum age or at the token expiry, whichever comes first; never stores an expired token', () => {
    const cache = new VerifiedTokenCache<string>({ maxEntries: 10, maxAgeMs: 1_000 });
    cache.set('long-lived', 'x', 10_000, 0);
    expect(cache.get('long-lived', 999)).toBe('x');
    expect(cache.get('long-lived', 1_000)).toBeUndefined();
    cache.set('short-lived', 'y', 500, 0);
    expect(cache.get('short-lived', 499)).toBe('y');
    expect(cache.get('short-lived', 500)).toBeUndefined();
    cache.set('expired', 'z', 100, 100);
    expect(cache.size).toBe(0);
    const off = new VerifiedTokenCache<string>({ maxEntries: 0, maxAgeMs: 1_000 });
    off.set('t', 'v', 10_000, 0);
    expect(off.get('t', 1)).toBeUndefined();
  });
});

describe('token verifier (Entra ID)', () => {
  const ENTRA_ISSUER = 'https://login.microsoftonline.com/tenant-id/v2.0';
  const ENTRA_AUDIENCE = 'api://algesta';
  let server: Server;
  let jwksUri: string;
  let jwksRequests = 0;
  let entraKey: CryptoKey;
  let entra: TokenVerifier;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    entraKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'entra-key-1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => {
      jwksRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`;
    entra = createTokenVerifier({
      AUTH_MODE: 'entra',
      AUTH_ISSUER: ENTRA_ISSUER,
      AUTH_AUDIENCE: ENTRA_AUDIENCE,
      AUTH_JWKS_URI: jwksUri,
      AUTH_DEV_KEY_DIR: undefined,
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function entraToken(claims: JWTPayload, kid = 'entra-key-1'): Promise<string> {
    return new SignJWT({ roles: ['operator'], ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(ENTRA_ISSUER)
      .setAudience(ENTRA_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(entraKey);
  }

  it('accepts a token signed by the tenant key and caches the key set', async () => {
    const token = await entraToken({ sub: 'pairwise', oid: 'oid-1', name: 'Op', preferred_username: 'op@contoso.com' });
    expect(await entra.verify(`Bearer ${token}`)).toEqual({
      userId: 'oid-1',
      role: 'operator',
      name: 'Op',
      email: 'op@contoso.com',
    });
    await entra.verify(`Bearer ${token}`);
    expect(jwksRequests).toBe(1);
  });

  it('refuses a development token', async () => {
    // Even with Entra's issuer and audience: the development key is not the tenant's.
    const devToken = await issuer.mint({ sub: 's', role: 'admin' }, { issuer: ENTRA_ISSUER, audience: ENTRA_AUDIENCE });
    const err = await rejection(entra, `Bearer ${devToken}`);
    expect(err).toMatchObject({ code: 'invalid_token', description: 'signing algorithm not allowed' });
    const realDevToken = await issuer.mint({ sub: 's', role: 'admin' }, devOpts);
    expect((await rejection(entra, `Bearer ${realDevToken}`)).code).toBe('invalid_token');
  });

  it('rejects an unknown kid, refetching the key set at most once per cooldown', async () => {
    const before = jwksRequests;
    const token = await entraToken({ sub: 's' }, 'rotated-key');
    expect((await rejection(entra, `Bearer ${token}`)).description).toBe('unknown signing key');
    expect((await rejection(entra, `Bearer ${token}`)).description).toBe('unknown signing key');
    expect(jwksRequests - before).toBeLessThanOrEqual(1);
  });

  it('reports an unreachable key endpoint as unavailable, not as a bad token', async () => {
    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise((resolve) => down.close(resolve));
    const offline = createTokenVerifier({
      AUTH_MODE: 'entra',
      AUTH_ISSUER: ENTRA_ISSUER,
      AUTH_AUDIENCE: ENTRA_AUDIENCE,
      AUTH_JWKS_URI: `http://127.0.0.1:${port}/keys`,
      AUTH_DEV_KEY_DIR: undefined,
    });
    const token = await entraToken({ sub: 's' });
    await expect(offline.verify(`Bearer ${token}`)).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('npm run token (local/token.ts)', () => {
  const run = promisify(execFile);

  function token(args: string[], dataDir: string) {
    return run(process.execPath, ['--import', 'tsx', 'local/token.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    });
  }

  it('prints only a token that the development verifier accepts', async () => {
    const dataDir = join(tempRoot, 'cli');
    const { stdout } = await token(['--role', 'client', '--client', 'cli_9', '--name', 'Cli', '--ttl', '1h'], dataDir);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const cliVerifier = createTokenVerifier({ ...devSettings, AUTH_DEV_KEY_DIR: join(dataDir, 'dev-issuer') });
    expect(await cliVerifier.verify(`Bearer ${stdout.trim()}`)).toMatchObject({ role: 'client', clientId: 'cli_9', name: 'Cli' });
  });

  it('--persona <role> prints the demo user’s token with its demo tenant (the remote e2e suite’s token command)', async () => {
    const dataDir = join(tempRoot, 'cli-persona');
    const cliVerifier = createTokenVerifier({ ...devSettings, AUTH_DEV_KEY_DIR: join(dataDir, 'dev-issuer') });
    const verified = async (persona: string) => {
      const { stdout } = await token(['--persona', persona], dataDir);
      expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      return cliVerifier.verify(`Bearer ${stdout.trim()}`);
    };
    expect(await verified('client')).toMatchObject({ role: 'client', userId: DEMO.users.client, clientId: DEMO.clientId });
    expect(await verified('provider')).toMatchObject({
      role: 'provider',
      userId: DEMO.users.provider,
      providerId: DEMO.providerIds[0],
    });
    expect(await verified('operator')).toMatchObject({ role: 'operator', userId: DEMO.users.operator });
  });

  it.each([
    [['--persona', 'client', '--client', 'cli_9']],
    [['--persona', 'root']],
    [['--role', 'client']],
    [['--role', 'provider']],
    [['--role', 'superuser']],
    [[]],
    [['--role', 'admin', '--bogus']],
    [['--role', 'admin', '--ttl', 'forever']],
  ])('exits with code 2 on bad arguments %j', async (args) => {
    const err = (await token(args, join(tempRoot, 'cli-bad')).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: number; stdout?: string; stderr?: string } | undefined;
    expect(err?.code).toBe(2);
    expect(err?.stdout).toBe('');
    expect(err?.stderr).toMatch(/^token: /);
  });
});
