import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../support/stack';

/**
 * Issue 24, "Not wanted": the app trusts no forwarded client address and no gateway marker. In Azure
 * the only way in is Front Door → the region's API Management gateway → the app; the gateway reads the
 * client's address from Front Door's X-Azure-ClientIP after it has checked X-Azure-FDID
 * (infra/gateway/policies/global.xml), and the limits keyed on it live there. The app itself never uses
 * a client address (no log field, audit record or problem detail carries one), has no rate limiter of
 * its own, and takes identity only from the bearer token, so a header a direct caller forges can change
 * nothing: that is the simplest correct rule, and this file keeps it true. docs/security.md.
 */

const REPO = join(__dirname, '../..');
/** Headers that carry a client's address or a proxy's word about the request. */
const FORWARDING_HEADERS = [
  'x-forwarded-for',
  'x-forwarded-host',
  'x-real-ip',
  'x-client-ip',
  'x-azure-clientip',
  'x-azure-socketip',
  'x-azure-fdid',
  'x-original-forwarded-for',
  'forwarded',
] as const;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Where a file names one of the forwarding headers as a string (how a header would be read). */
export function forwardingReads(file: string, text: string): string[] {
  const found: string[] = [];
  for (const header of FORWARDING_HEADERS)
    if (new RegExp(`['"\`]${header}['"\`]`, 'i').test(text)) found.push(`${file}: ${header}`);
  return found;
}

describe('the app reads no forwarded client address', () => {
  it('no code deployed to Azure (functions/, shared/) names a forwarding header', () => {
    const files = [...sourceFiles(join(REPO, 'functions')), ...sourceFiles(join(REPO, 'shared'))];
    expect(files.length).toBeGreaterThan(50);
    const reads = files.flatMap((f) => forwardingReads(relative(REPO, f), readFileSync(f, 'utf8')));
    expect(reads).toEqual([]);
    // The scan finds a read when there is one.
    expect(forwardingReads('x.ts', "const ip = request.headers.get('X-Forwarded-For');")).toEqual(['x.ts: x-forwarded-for']);
  });
});

describe('behind a gateway or not, over HTTP through the local host', () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let api: ReturnType<typeof apiClient>;
  // What a direct caller could forge to pass for the gateway, or for another client.
  const forged = {
    'X-Forwarded-For': '203.0.113.7',
    'X-Azure-ClientIP': '203.0.113.7',
    'X-Azure-FDID': '00000000-0000-0000-0000-000000000000',
    Forwarded: 'for=203.0.113.7;proto=https',
  };
  beforeAll(async () => {
    stack = await startTestStack();
    api = apiClient(`${stack.url}/api`);
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('identity comes from the token alone: the same answer with and without forged forwarding headers', async () => {
    const plain = await api('GET', '/v1/me', { token: stack.tokens.client });
    const withForged = await api('GET', '/v1/me', { token: stack.tokens.client, headers: forged });
    expect(plain.status).toBe(200);
    expect(withForged.status).toBe(200);
    expect(withForged.body).toEqual(plain.body);
  });

  it('a forged gateway marker opens nothing: no token is still 401, and nothing limits by address in the app', async () => {
    const res = await api('GET', '/v1/me', { headers: forged });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // No in-app limiter: many calls from "one address" are all answered (the limits are the gateway's).
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => api('GET', '/health', { headers: { 'X-Forwarded-For': '198.51.100.1' } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 30 }, () => 200));
  });
});
