import { describe, expect, it } from 'vitest';
import { trustProfile, trustProfileOfClient } from '../../shared/application/access';
import { ApprovalLimitError, ConflictError } from '../../shared/application/errors';
import { submitQuote } from '../../shared/application/orders/lifecycle';
import { getMe, updatePreferences } from '../../shared/application/users/users';
import { handleInboundWhatsApp } from '../../shared/application/whatsapp/conversations';
import type { Principal } from '../../shared/domain/access/principal';
import { DEFAULT_PREFERENCES, type UserProfile } from '../../shared/domain/users/user';
import { MemoryUsers } from '../support/memory';
import { CLIENT, MIN, PROVIDER, operator, provider, world, type World } from '../support/order-world';
import { MemoryConversationStore, MemoryPhoneDirectory, RecordingWhatsAppSender } from '../support/whatsapp-memory';

/**
 * A stored profile is used only where it agrees with the token (issue 14, item 2): one function,
 * `trustProfile` (shared/application/access.ts), for the HTTP path (approval limit, /me, preferences)
 * and the WhatsApp path. A profile of another tenant or role is set aside: the caller has none.
 */
const OTHER_CLIENT = 'cli_00000000000000000000000009';
const OTHER_PROVIDER = 'prv_00000000000000000000000009';
const call = (principal: Principal) => ({ principal, correlationId: 'trust' });
const money = (amount: number) => ({ amount, currency: 'COP' });
const at = '2026-03-03T15:00:00.000Z';

const profile = (p: Partial<UserProfile> & Pick<UserProfile, 'userId' | 'role'>): UserProfile => ({
  preferences: { channels: ['email', 'whatsapp'], locale: 'en' },
  updatedAt: at,
  ...p,
});

/** Token {client A, sub U}; U's stored profile belongs to client B with a limit far above the quote. */
const tokenA: Principal = { userId: 'u-mixed', role: 'client', clientId: CLIENT };
const profileOfB = profile({
  userId: 'u-mixed',
  role: 'client',
  clientId: OTHER_CLIENT,
  phone: '+573001110000',
  approvalLimit: money(1_000_000_000_00),
});

async function awaitingApproval(w: World, amount: number): Promise<string> {
  const o = await w.create('P3');
  await w.act(o.id, operator, 'triage');
  await w.act(o.id, operator, 'request-quotes', { quoteDeadline: new Date(Date.parse(w.now()) + 60 * MIN).toISOString() });
  const q = await submitQuote(w.deps, call(provider), o.id, { amount: money(amount), leadTimeDays: 2, validUntil: '2026-12-31' });
  await w.act(o.id, operator, 'select-quote', { quoteId: q.id });
  return o.id;
}

describe('trustProfileOfClient: the same rule where the order names the tenant', () => {
  it('keeps a client user of the order’s client and staff, and sets aside other tenants and inconsistent profiles', () => {
    const own = profile({ userId: 'u1', role: 'client', clientId: CLIENT });
    const other = profile({ userId: 'u1', role: 'client', clientId: OTHER_CLIENT });
    const op = profile({ userId: 'op', role: 'operator' });
    const prov = profile({ userId: 'p1', role: 'provider', providerId: PROVIDER });
    const broken = profile({ userId: 'u1', role: 'client' });
    expect(trustProfileOfClient(own, CLIENT)).toBe(own);
    expect(trustProfileOfClient(op, CLIENT)).toBe(op);
    expect(trustProfileOfClient(other, CLIENT)).toBeUndefined();
    expect(trustProfileOfClient(prov, CLIENT)).toBeUndefined();
    expect(trustProfileOfClient(broken, CLIENT)).toBeUndefined();
    expect(trustProfileOfClient(undefined, CLIENT)).toBeUndefined();
  });
});

describe('trustProfile: the one rule', () => {
  const clientA: Principal = { userId: 'u1', role: 'client', clientId: CLIENT };
  const providerP: Principal = { userId: 'u2', role: 'provider', providerId: PROVIDER };

  it('uses a profile that agrees with the token, and none when none is stored', () => {
    const own = profile({ userId: 'u1', role: 'client', clientId: CLIENT, approvalLimit: money(100) });
    expect(trustProfile(own, clientA)).toEqual({ profile: own });
    expect(trustProfile(undefined, clientA)).toEqual({});
    const staff = profile({ userId: 'op', role: 'operator' });
    expect(trustProfile(staff, { userId: 'op', role: 'operator' })).toEqual({ profile: staff });
  });

  it('sets aside another tenant’s or role’s profile, naming what disagrees (never the values)', () => {
    expect(trustProfile(profile({ userId: 'u1', role: 'client', clientId: OTHER_CLIENT }), clientA)).toEqual({
      mismatch: { fields: ['clientId'] },
    });
    expect(trustProfile(profile({ userId: 'u2', role: 'provider', providerId: OTHER_PROVIDER }), providerP)).toEqual({
      mismatch: { fields: ['providerId'] },
    });
    // Role mismatches: a staff profile under a client token, a client profile under a provider token.
    expect(trustProfile(profile({ userId: 'u1', role: 'operator' }), clientA)).toEqual({
      mismatch: { fields: ['role', 'clientId'] },
    });
    expect(trustProfile(profile({ userId: 'u2', role: 'client', clientId: CLIENT }), providerP)).toEqual({
      mismatch: { fields: ['role', 'clientId', 'providerId'] },
    });
    expect(trustProfile(profile({ userId: 'op', role: 'operator' }), { userId: 'op', role: 'admin' })).toEqual({
      mismatch: { fields: ['role'] },
    });
    expect(trustProfile(profile({ userId: 'other', role: 'client', clientId: CLIENT }), clientA)).toEqual({
      mismatch: { fields: ['userId'] },
    });
  });

  it('without a token (WhatsApp) only the profile’s own role and scope must agree', () => {
    const coherent = profile({ userId: 'u3', role: 'provider', providerId: PROVIDER });
    expect(trustProfile(coherent)).toEqual({ profile: coherent });
    expect(trustProfile(profile({ userId: 'u3', role: 'client' }))).toEqual({ mismatch: { fields: ['scope'] } });
    expect(trustProfile(profile({ userId: 'u3', role: 'client', clientId: CLIENT, providerId: PROVIDER }))).toEqual({
      mismatch: { fields: ['scope'] },
    });
  });
});

describe('the approval limit', () => {
  it('comes only from a profile of the token’s client: another client’s high limit does not approve (403 approval-limit)', async () => {
    const w = await world(at);
    await (w.deps.users as MemoryUsers).put(profileOfB);
    const id = await awaitingApproval(w, 900_000_00);
    const before = await w.get(id);
    const refused = await w.act(id, tokenA, 'approve').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApprovalLimitError);
    expect((refused as ApprovalLimitError).details).toMatchObject({ approvalLimit: null });
    expect(JSON.stringify((refused as ApprovalLimitError).details)).not.toContain(OTHER_CLIENT);
    const after = await w.get(id);
    expect(after).toMatchObject({ status: 'AWAITING_APPROVAL', version: before.version });
  });

  it('a profile that agrees carries its limit (the same call approves)', async () => {
    const w = await world(at);
    await (w.deps.users as MemoryUsers).put({ ...profileOfB, clientId: CLIENT });
    const id = await awaitingApproval(w, 900_000_00);
    expect((await w.act(id, tokenA, 'approve')).value.status).toBe('CONTRACTING');
  });

  it('nor from a profile of another role, even one naming the token’s client with a high limit', async () => {
    const w = await world(at);
    // Written before role and scope were checked: an operator profile carrying client A and a limit.
    await (w.deps.users as MemoryUsers).put(
      profile({ userId: 'u-mixed', role: 'operator', clientId: CLIENT, approvalLimit: money(1_000_000_000_00) }),
    );
    const id = await awaitingApproval(w, 900_000_00);
    await expect(w.act(id, tokenA, 'approve')).rejects.toBeInstanceOf(ApprovalLimitError);
    expect((await w.get(id)).status).toBe('AWAITING_APPROVAL');
  });
});

describe('GET /me and PUT /me/preferences', () => {
  const clock = { now: () => new Date(at) };

  it('/me: another client’s profile is not shown — the token’s view, no ETag, and the mismatch named', async () => {
    const users = new MemoryUsers();
    await users.put(profileOfB);
    const me = await getMe({ users, clock }, call(tokenA));
    expect(me.etag).toBeUndefined();
    expect(me.mismatch).toEqual({ fields: ['clientId'] });
    expect(me.profile).toMatchObject({ userId: 'u-mixed', role: 'client', clientId: CLIENT, preferences: DEFAULT_PREFERENCES });
    expect(me.profile).not.toHaveProperty('approvalLimit');
    expect(me.profile).not.toHaveProperty('phone');
    expect(JSON.stringify(me)).not.toContain(OTHER_CLIENT);
  });

  it('/me: a provider token with another provider’s profile, and a role mismatch, have no profile', async () => {
    const users = new MemoryUsers();
    await users.put(profile({ userId: 'u-p', role: 'provider', providerId: OTHER_PROVIDER, name: 'Otro' }));
    const asProvider = await getMe({ users, clock }, call({ userId: 'u-p', role: 'provider', providerId: PROVIDER }));
    expect(asProvider).toMatchObject({ mismatch: { fields: ['providerId'] }, profile: { providerId: PROVIDER } });
    expect(asProvider.etag).toBeUndefined();
    expect(JSON.stringify(asProvider)).not.toContain(OTHER_PROVIDER);

    await users.put(profile({ userId: 'u-r', role: 'admin', name: 'Root' }));
    const asOperator = await getMe({ users, clock }, call({ userId: 'u-r', role: 'operator' }));
    expect(asOperator).toMatchObject({ mismatch: { fields: ['role'] }, profile: { role: 'operator' } });
    expect(asOperator.profile.preferences).toEqual(DEFAULT_PREFERENCES);
  });

  it('/me: a profile that agrees is shown as before, with its ETag and no mismatch', async () => {
    const users = new MemoryUsers();
    const saved = await users.put({ ...profileOfB, clientId: CLIENT });
    const me = await getMe({ users, clock }, call(tokenA));
    expect(me).toEqual({ profile: saved.value, etag: saved.etag });
  });

  it('preferences are not written over a profile that disagrees with the token (409), and it stays as it was', async () => {
    const users = new MemoryUsers();
    const saved = await users.put(profileOfB);
    const refused = await updatePreferences({ users, clock }, call(tokenA), { channels: ['email'], locale: 'es-CO' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).details).toEqual({ profileMismatch: { fields: ['clientId'] } });
    expect(await users.get('u-mixed')).toEqual(saved);
  });
});

describe('WhatsApp: the same rule', () => {
  it('a profile whose role and scope disagree is nobody: the unknown-number reply, in the default locale (not the profile’s)', async () => {
    const w = await world(at);
    const phone = '+573002223344';
    // Written before scopes were checked: a client user without a client, who chose English.
    const incoherent = profile({ userId: 'u-wa', role: 'client', phone, preferences: { channels: ['whatsapp'], locale: 'en' } });
    const sender = new RecordingWhatsAppSender();
    const deps = {
      ...w.deps,
      phones: new MemoryPhoneDirectory([incoherent]),
      conversations: new MemoryConversationStore(),
      sender,
      mediaFetcher: { fetch: async () => ({ bytes: new Uint8Array(), contentType: 'image/jpeg' }) },
      mediaStore: { saveOrderPhoto: async () => 'att_x' },
      invitationResponses: { decline: async () => undefined, listDeclined: async () => [] },
    };
    await handleInboundWhatsApp(deps, { eventId: 'wamid.1', from: phone, at, kind: 'text', text: 'hola' });
    const nobody = new RecordingWhatsAppSender();
    const control = { ...deps, phones: new MemoryPhoneDirectory([]), conversations: new MemoryConversationStore() };
    await handleInboundWhatsApp(
      { ...control, sender: nobody },
      { eventId: 'wamid.2', from: phone, at, kind: 'text', text: 'hola' },
    );
    // Treated exactly like a number with no profile at all.
    expect(sender.sent.map((m) => m.text)).toEqual(nobody.sent.map((m) => m.text));
    expect(sender.sent).toHaveLength(1);
  });
});
