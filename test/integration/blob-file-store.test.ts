import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BlobServiceClient, type UserDelegationKey } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAzurite, type AzuriteInstance } from '../../local/azurite';
import { BlobFileStore } from '../../shared/adapters/blob/blob-file-store';
import { createBlobServiceClient, ensureBlobContainers } from '../../shared/adapters/blob/blob-service';
import { checkUpload } from '../../shared/domain/files/file-types';

const MINUTE = 60_000;
const AREA = 'provider-documents';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(5_000)]);

const inMinutes = (m: number) => new Date(Date.now() + m * MINUTE);

/** A token credential that is never asked for a token (nothing here talks to Entra ID). */
const fakeToken = { getToken: async () => ({ token: 'not-used', expiresOnTimestamp: Date.now() + 60 * MINUTE }) };

type KeyResponse = Awaited<ReturnType<BlobServiceClient['getUserDelegationKey']>>;
/** Stands in for Get User Delegation Key, which needs an Entra ID token (Azurite: OAuth over https). */
function delegationKey(startsOn: Date, expiresOn: Date, value: (k: Omit<UserDelegationKey, 'value'>) => string): KeyResponse {
  const key = {
    signedObjectId: '11111111-1111-1111-1111-111111111111',
    signedTenantId: '22222222-2222-2222-2222-222222222222',
    signedStartsOn: startsOn,
    signedExpiresOn: expiresOn,
    signedService: 'b',
    // Azure answers with the version of the key request (the SDK's, newer than the SAS's pinned one).
    signedVersion: '2026-04-06',
  };
  return { ...key, value: value(key) } as KeyResponse;
}

/** Replaces the client's key request (the store calls the `(startsOn, expiresOn)` overload). */
function stubKeys(client: BlobServiceClient, request: (startsOn: Date, expiresOn: Date) => Promise<KeyResponse>) {
  return vi.spyOn(client, 'getUserDelegationKey').mockImplementation(request as BlobServiceClient['getUserDelegationKey']);
}

/** Azurite derives a delegation key's value from its fields with a fixed secret; it validates SAS signed with it. */
const azuriteKeyValue = (k: Omit<UserDelegationKey, 'value'>): string => {
  const { getUserDelegationKeyValue } = createRequire(import.meta.url)('azurite/dist/src/blob/utils/utils') as {
    getUserDelegationKeyValue(oid: string, tid: string, start: string, expiry: string, version: string): string;
  };
  const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`; // as the SAS carries skt/ske
  return getUserDelegationKeyValue(
    k.signedObjectId,
    k.signedTenantId,
    iso(k.signedStartsOn),
    iso(k.signedExpiresOn),
    k.signedVersion,
  );
};

/** A browser's PUT of a file to an upload URL. */
function put(url: string, body: Uint8Array, contentType = 'image/png'): Promise<Response> {
  return fetch(url, { method: 'PUT', body, headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': contentType } });
}

/** Refused by the SAS check: 403 with the given storage error code. */
async function expectRefused(response: Promise<Response>, code: 'AuthorizationFailure' | 'AuthorizationPermissionMismatch') {
  const res = await response;
  expect(res.status).toBe(403);
  expect(res.headers.get('x-ms-error-code')).toBe(code);
}

/** The same SAS query string on another URL. */
function moveSas(sasUrl: string, target: string): string {
  return `${target}${new URL(sasUrl).search}`;
}

describe('BlobFileStore against Azurite (account-key SAS)', () => {
  let dataDir: string;
  let azurite: AzuriteInstance;
  let client: BlobServiceClient;
  let store: BlobFileStore;
  const blobUrl = (name: string) => client.getContainerClient(AREA).getBlobClient(name).url;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'algesta-files-'));
    azurite = await startAzurite({ dataDir });
    client = await createBlobServiceClient({ blobServiceUri: azurite.blobEndpoint, connectionString: azurite.connectionString });
    await ensureBlobContainers(client);
    store = new BlobFileStore(client);
  });

  afterAll(async () => {
    await azurite?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('an upload URL accepts a PUT of its blob; inspect reports size, declared type and head', async () => {
    const name = 'prv_1/doc_1';
    const url = await store.uploadUrl(AREA, name, inMinutes(15));
    expect(new URL(url).searchParams.get('sp')).toBe('c');
    expect(new URL(url).searchParams.get('sr')).toBe('b');

    expect((await put(url, PNG)).status).toBe(201);

    const uploaded = await store.inspect(AREA, name);
    expect(uploaded).toBeDefined();
    expect(uploaded!.size).toBe(PNG.length);
    expect(uploaded!.contentType).toBe('image/png');
    expect(Buffer.from(uploaded!.head).equals(PNG.subarray(0, 64))).toBe(true);
    expect(checkUpload({ contentType: 'image/png', size: PNG.length }, uploaded!)).toEqual({ ok: true, type: 'image/png' });

    // Create-only: once the blob exists (and may have been checked), the URL cannot replace it.
    const again = await put(url, Buffer.from('%PDF-1.7 replaced'));
    expect(again.status).toBe(403);
    expect((await store.inspect(AREA, name))!.size).toBe(PNG.length);
  });

  it('reports the real size and stored type, whatever was declared', async () => {
    const name = 'prv_1/doc_small';
    const small = Buffer.from('%PDF-1.7 tiny');
    expect((await put(await store.uploadUrl(AREA, name, inMinutes(15)), small, 'image/png')).status).toBe(201);
    const uploaded = await store.inspect(AREA, name);
    expect(uploaded).toMatchObject({ size: small.length, contentType: 'image/png' });
    expect(Buffer.from(uploaded!.head).equals(small)).toBe(true);
    expect(checkUpload({ contentType: 'image/png', size: small.length }, uploaded!)).toEqual({
      ok: false,
      reason: 'the file is application/pdf, not the declared image/png',
    });
  });

  it('an upload URL cannot write another blob, read, list or delete', async () => {
    const name = 'prv_1/doc_2';
    const url = await store.uploadUrl(AREA, name, inMinutes(15));
    expect((await put(url, PNG)).status).toBe(201);

    // The blob name is part of what is signed: elsewhere the signature does not match.
    await expectRefused(put(moveSas(url, blobUrl('prv_1/doc_other')), PNG), 'AuthorizationFailure');
    expect(await store.inspect(AREA, 'prv_1/doc_other')).toBeUndefined();
    await expectRefused(fetch(url), 'AuthorizationPermissionMismatch');
    const list = moveSas(url, client.getContainerClient(AREA).url);
    await expectRefused(fetch(`${list}&restype=container&comp=list`), 'AuthorizationFailure');
    await expectRefused(fetch(url, { method: 'DELETE' }), 'AuthorizationPermissionMismatch');
    expect(await store.inspect(AREA, name)).toBeDefined();
  });

  it('a download URL reads its blob only, and cannot write', async () => {
    const name = 'prv_1/doc_3';
    expect((await put(await store.uploadUrl(AREA, name, inMinutes(15)), PNG)).status).toBe(201);
    expect((await put(await store.uploadUrl(AREA, 'prv_1/doc_4', inMinutes(15)), randomBytes(100))).status).toBe(201);

    const url = await store.downloadUrl(AREA, name, inMinutes(10));
    expect(new URL(url).searchParams.get('sp')).toBe('r');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);

    await expectRefused(put(url, randomBytes(10)), 'AuthorizationPermissionMismatch');
    await expectRefused(fetch(moveSas(url, blobUrl('prv_1/doc_4'))), 'AuthorizationFailure');
    expect((await fetch(url)).status).toBe(200); // unchanged by the refused PUT
  });

  it('refuses an expired SAS, and one not yet valid, where the same URL in its window works', async () => {
    const name = 'prv_1/doc_5';
    const expired = await store.uploadUrl(AREA, name, new Date(Date.now() - MINUTE));
    await expectRefused(put(expired, PNG), 'AuthorizationFailure');
    expect(await store.inspect(AREA, name)).toBeUndefined();

    // The expiry is signed: moving it forward in the URL breaks the signature.
    const extended = new URL(expired);
    extended.searchParams.set('se', `${inMinutes(60).toISOString().slice(0, 19)}Z`);
    await expectRefused(put(extended.toString(), PNG), 'AuthorizationFailure');

    // The store's clock sets the start: one running an hour ahead signs a SAS valid from 55 minutes on.
    const ahead = new BlobFileStore(client, { now: () => inMinutes(60) });
    await expectRefused(put(await ahead.uploadUrl(AREA, name, inMinutes(90)), PNG), 'AuthorizationFailure');

    // Control: same store, same blob, only the expiry differs.
    expect((await put(await store.uploadUrl(AREA, name, inMinutes(1)), PNG)).status).toBe(201);
    await expectRefused(fetch(await store.downloadUrl(AREA, name, new Date(Date.now() - MINUTE))), 'AuthorizationFailure');
    expect((await fetch(await store.downloadUrl(AREA, name, inMinutes(1)))).status).toBe(200);
  });

  it('inspect: undefined when missing, size 0 when empty; delete removes, idempotently', async () => {
    expect(await store.inspect(AREA, 'prv_1/never-uploaded')).toBeUndefined();

    const empty = 'prv_1/empty';
    expect((await put(await store.uploadUrl(AREA, empty, inMinutes(15)), new Uint8Array())).status).toBe(201);
    const uploaded = await store.inspect(AREA, empty);
    expect(uploaded?.size).toBe(0);
    expect(uploaded?.head).toHaveLength(0);

    const name = 'prv_1/doc_6';
    expect((await put(await store.uploadUrl(AREA, name, inMinutes(15)), PNG)).status).toBe(201);
    await store.delete(AREA, name);
    expect(await store.inspect(AREA, name)).toBeUndefined();
    await expect(store.delete(AREA, name)).resolves.toBeUndefined();
  });

  it('save writes a file the platform obtained, with its type, replacing one of the same name; a download URL reads it', async () => {
    const name = 'prv_1/contract';
    await store.save(AREA, name, PNG, 'image/png');
    await store.save(AREA, name, PNG.subarray(0, 100), 'application/pdf');
    const saved = await store.inspect(AREA, name);
    expect(saved).toMatchObject({ size: 100, contentType: 'application/pdf' });
    const res = await fetch(await store.downloadUrl(AREA, name, inMinutes(10)));
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG.subarray(0, 100))).toBe(true);
  });

  it('signs a user-delegation SAS that Azurite validates, with the same scope', async () => {
    // A token-credential client on Azurite, as the managed identity's client is on Azure; only the key
    // request is emulated (it needs OAuth over https in Azurite).
    const udClient = new BlobServiceClient(azurite.blobEndpoint, fakeToken);
    let value = azuriteKeyValue;
    stubKeys(udClient, async (startsOn, expiresOn) => delegationKey(startsOn, expiresOn, value));
    const ud = new BlobFileStore(udClient);
    const name = 'prv_1/doc_ud';

    const url = await ud.uploadUrl(AREA, name, inMinutes(15));
    expect(new URL(url).searchParams.get('skoid')).toBe('11111111-1111-1111-1111-111111111111');
    expect((await put(url, PNG)).status).toBe(201);
    await expectRefused(put(moveSas(url, blobUrl('prv_1/doc_ud_other')), PNG), 'AuthorizationFailure');
    await expectRefused(fetch(url), 'AuthorizationPermissionMismatch');
    await expectRefused(
      put(await ud.uploadUrl(AREA, 'prv_1/doc_ud_late', new Date(Date.now() - MINUTE)), PNG),
      'AuthorizationFailure',
    );

    const read = await fetch(await ud.downloadUrl(AREA, name, inMinutes(10)));
    expect(read.status).toBe(200);
    expect(Buffer.from(await read.arrayBuffer()).equals(PNG)).toBe(true);

    // Control: a key Azurite did not issue signs nothing it accepts.
    value = () => randomBytes(32).toString('base64');
    const forged = new BlobFileStore(udClient);
    await expectRefused(fetch(await forged.downloadUrl(AREA, name, inMinutes(10))), 'AuthorizationFailure');
  });

  it('does not hide a missing container behind "not uploaded"', async () => {
    await expect(store.inspect('no-such-container' as typeof AREA, 'x')).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('BlobFileStore with a token credential: user delegation keys', () => {
  let clock = new Date('2030-01-01T12:00:00Z');
  const client = new BlobServiceClient('https://algestafiles.blob.core.windows.net', fakeToken);
  let fail = false;
  const keys = stubKeys(client, async (startsOn, expiresOn) => {
    if (fail) throw Object.assign(new Error('AuthorizationPermissionMismatch'), { statusCode: 403 });
    return delegationKey(startsOn, expiresOn, () => randomBytes(32).toString('base64'));
  });
  const store = new BlobFileStore(client, { now: () => clock });
  const at = (minutes: number) => new Date(clock.getTime() + minutes * MINUTE);
  const params = (url: string) => new URL(url).searchParams;

  it('signs with a user delegation key requested for an hour, starting 5 minutes back', async () => {
    const url = await store.uploadUrl('order-files', 'ord_1/photo', at(15));
    expect(keys).toHaveBeenCalledTimes(1);
    expect(keys).toHaveBeenLastCalledWith(at(-5), at(60));
    expect(url.startsWith('https://algestafiles.blob.core.windows.net/order-files/ord_1/photo?')).toBe(true);
    const p = params(url);
    expect(p.get('sp')).toBe('c');
    expect(p.get('sr')).toBe('b');
    expect(p.get('skoid')).toBe('11111111-1111-1111-1111-111111111111');
    expect(p.get('sktid')).toBe('22222222-2222-2222-2222-222222222222');
    expect(p.get('st')).toBe('2030-01-01T11:55:00Z');
    expect(p.get('se')).toBe('2030-01-01T12:15:00Z');
    expect(p.get('sig')).toBeTruthy();
  });

  it('reuses the key while it outlives the SAS and is not within 5 minutes of its expiry', async () => {
    keys.mockClear();
    clock = new Date('2030-01-01T12:30:00Z');
    expect(params(await store.downloadUrl('order-files', 'ord_1/photo', at(10))).get('sp')).toBe('r');
    expect(keys).not.toHaveBeenCalled();

    // The key expires at 13:00; a 15-minute upload URL at 12:50 would outlive it.
    clock = new Date('2030-01-01T12:50:00Z');
    await store.uploadUrl('order-files', 'ord_1/photo', at(15));
    expect(keys).toHaveBeenCalledTimes(1);
    expect(keys).toHaveBeenLastCalledWith(at(-5), at(60));

    // 4 minutes before that key's expiry (13:50) even a short URL gets a fresh key.
    keys.mockClear();
    clock = new Date('2030-01-01T13:46:00Z');
    await store.downloadUrl('order-files', 'ord_1/photo', at(1));
    expect(keys).toHaveBeenCalledTimes(1);
  });

  it('shares one key request between concurrent callers, and does not cache a failure', async () => {
    keys.mockClear();
    clock = new Date('2030-01-02T00:00:00Z');
    await Promise.all([1, 2, 3].map((i) => store.downloadUrl('order-files', `ord_1/${i}`, at(10))));
    expect(keys).toHaveBeenCalledTimes(1);

    keys.mockClear();
    clock = new Date('2030-01-03T00:00:00Z');
    fail = true;
    await expect(store.downloadUrl('order-files', 'ord_1/photo', at(10))).rejects.toThrow('AuthorizationPermissionMismatch');
    fail = false;
    await expect(store.downloadUrl('order-files', 'ord_1/photo', at(10))).resolves.toContain('sig=');
    expect(keys).toHaveBeenCalledTimes(2);
  });

  it('refuses a SAS longer than a user delegation key can be', async () => {
    await expect(store.uploadUrl('order-files', 'ord_1/photo', at(8 * 24 * 60))).rejects.toThrow(RangeError);
  });
});
