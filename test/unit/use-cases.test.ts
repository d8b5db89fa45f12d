import { beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/domain/access/principal';
import { createClient, createSite, getClient, listSites } from '../../shared/application/clients/clients';
import { createOrder, getOrder, getOrderHistory, listOrders } from '../../shared/application/orders/orders';
import { getMe, phoneDirectory, updatePreferences, updateUser } from '../../shared/application/users/users';
import { ForbiddenError, InvalidInputError, NotFoundError, PreconditionFailedError } from '../../shared/application/errors';
import { MemoryClients, MemoryOrders, MemoryProviders, MemoryUsers, fixedClock, sequentialIds } from '../support/memory';
import { refreshProviderOrderViews } from '../../shared/application/orders/provider-views';

const call = (principal: Principal) => ({ principal, correlationId: 'corr-1' });
const admin: Principal = { userId: 'adm', role: 'admin' };
const operator: Principal = { userId: 'op', role: 'operator' };

describe('use cases with in-memory ports', () => {
  let clients: MemoryClients;
  let users: MemoryUsers;
  let orders: MemoryOrders;
  const clock = fixedClock();
  let ids = sequentialIds();
  let clientA: string;
  let clientB: string;
  let siteA: string;

  beforeEach(async () => {
    clients = new MemoryClients();
    users = new MemoryUsers();
    orders = new MemoryOrders();
    ids = sequentialIds();
    const deps = { clients, clock, ids };
    clientA = (await createClient(deps, call(operator), { name: 'A' })).value.id;
    clientB = (await createClient(deps, call(operator), { name: 'B' })).value.id;
    siteA = (await createSite(deps, call(operator), clientA, { name: 'HQ', address: 'x 1', city: 'Bogotá' })).value.id;
  });

  const clientUser = (clientId: string): Principal => ({ userId: `u-${clientId}`, role: 'client', clientId });
  const provider: Principal = { userId: 'pv', role: 'provider', providerId: 'prv_1' };
  const orderInput = () => ({
    siteId: siteA,
    category: 'hvac' as const,
    priority: 'P3' as const,
    title: 'Fix AC',
    description: 'broken',
  });

  describe('clients', () => {
    it('only staff create clients', async () => {
      await expect(createClient({ clients, clock, ids }, call(clientUser(clientA)), { name: 'X' })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      await expect(createClient({ clients, clock, ids }, call(provider), { name: 'X' })).rejects.toBeInstanceOf(ForbiddenError);
    });

    it('a client sees its own client and not another (404, not 403)', async () => {
      await expect(getClient({ clients }, call(clientUser(clientA)), clientA)).resolves.toMatchObject({ value: { id: clientA } });
      await expect(getClient({ clients }, call(clientUser(clientA)), clientB)).rejects.toBeInstanceOf(NotFoundError);
      await expect(getClient({ clients }, call(provider), clientA)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists sites of an existing client; an unknown client is 404', async () => {
      const page = await listSites({ clients }, call(clientUser(clientA)), clientA, { limit: 10 });
      expect(page.items.map((s) => s.id)).toEqual([siteA]);
      await expect(listSites({ clients }, call(operator), 'cli_missing', { limit: 10 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(listSites({ clients }, call(clientUser(clientB)), clientA, { limit: 10 })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('a client user cannot add sites, even to its own client', async () => {
      await expect(
        createSite({ clients, clock, ids }, call(clientUser(clientA)), clientA, { name: 'n', address: 'a', city: 'c' }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    });
  });

  describe('orders', () => {
    const providers = new MemoryProviders();
    const deps = () => ({ orders, clients, providers, clock, ids });

    it('a client creates an order for its own client: order, history and event recorded together', async () => {
      const created = await createOrder(deps(), call(clientUser(clientA)), orderInput());
      expect(created.value).toMatchObject({ clientId: clientA, status: 'SUBMITTED', channel: 'dashboard' });
      expect(orders.historyEntries).toHaveLength(1);
      const h = await getOrderHistory(deps(), call(clientUser(clientA)), created.value.id, { limit: 5 });
      expect(h.items.map((e) => e.to)).toEqual(['SUBMITTED']);
      expect(orders.events).toEqual([
        expect.objectContaining({
          type: 'order.submitted',
          subject: created.value.id,
          correlationId: 'corr-1',
          source: 'algesta/orders',
        }),
        // The SLA clocks start with the order; their first check is scheduled in the same batch.
        expect.objectContaining({ type: 'order.sla-check-due', deliverAt: created.value.slaNextCheckAt }),
      ]);
    });

    it('refuses an unknown site, another client, a provider, and staff without clientId', async () => {
      await expect(createOrder(deps(), call(clientUser(clientA)), { ...orderInput(), siteId: 'sit_x' })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      await expect(createOrder(deps(), call(clientUser(clientA)), { ...orderInput(), clientId: clientB })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(createOrder(deps(), call(provider), orderInput())).rejects.toBeInstanceOf(ForbiddenError);
      await expect(createOrder(deps(), call(operator), orderInput())).rejects.toBeInstanceOf(InvalidInputError);
      // The site of client A is not a site of client B.
      await expect(createOrder(deps(), call(operator), { ...orderInput(), clientId: clientB })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      expect(orders.orders.size).toBe(0);
      expect(orders.events).toHaveLength(0);
    });

    it('tenant scope on reads: other client and unrelated provider get NotFound', async () => {
      const { value: order } = await createOrder(deps(), call(operator), { ...orderInput(), clientId: clientA });
      await expect(getOrder(deps(), call(clientUser(clientA)), order.id)).resolves.toBeTruthy();
      await expect(getOrder(deps(), call(operator), order.id)).resolves.toBeTruthy();
      await expect(getOrder(deps(), call(clientUser(clientB)), order.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(getOrder(deps(), call(provider), order.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(getOrderHistory(deps(), call(clientUser(clientB)), order.id, { limit: 5 })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(getOrder(deps(), call(operator), 'ord_not_an_id')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists: a client only its own, a provider only the orders in its view, staff everything', async () => {
      const first = await createOrder(deps(), call(clientUser(clientA)), orderInput());
      const siteB = (
        await createSite({ clients, clock, ids }, call(operator), clientB, { name: 'B1', address: 'y 2', city: 'Cali' })
      ).value.id;
      await createOrder(deps(), call(clientUser(clientB)), { ...orderInput(), siteId: siteB });
      const mine = await listOrders(deps(), call(clientUser(clientA)), {}, { limit: 10 });
      expect(mine.items.map((o) => o.clientId)).toEqual([clientA]);
      const sneaky = await listOrders(deps(), call(clientUser(clientA)), { clientId: clientB }, { limit: 10 });
      expect(sneaky.items).toEqual([]);
      expect((await listOrders(deps(), call(provider), {}, { limit: 10 })).items).toEqual([]);
      // Invited: the view (kept from order events) shows it to that provider only.
      await orders.save({ ...first.value, invitedProviderIds: [provider.providerId as string] }, first.etag, [], []);
      expect(await refreshProviderOrderViews(deps(), clientA, first.value.id)).toBe(1);
      const invited = await listOrders(deps(), call(provider), {}, { limit: 10 });
      expect(invited.items.map((o) => o.id)).toEqual([first.value.id]);
      expect(
        (await listOrders(deps(), call(provider), { providerId: provider.providerId as string }, { limit: 10 })).items,
      ).toEqual([]);
      expect((await listOrders(deps(), call({ ...provider, providerId: 'prv_other' }), {}, { limit: 10 })).items).toEqual([]);
      expect((await listOrders(deps(), call(operator), {}, { limit: 10 })).items).toHaveLength(2);
      expect((await listOrders(deps(), call(operator), { clientId: clientB }, { limit: 10 })).items).toHaveLength(1);
    });
  });

  describe('users', () => {
    const deps = () => ({ users, clients, clock });

    it('GET /me falls back to the token before a profile is stored', async () => {
      const me = await getMe(deps(), call(clientUser(clientA)));
      expect(me.etag).toBeUndefined();
      expect(me.profile).toMatchObject({ role: 'client', clientId: clientA, preferences: { locale: 'es-CO' } });
    });

    it('preferences are saved, and a stale If-Match is refused', async () => {
      const first = await updatePreferences(deps(), call(clientUser(clientA)), { channels: ['email', 'whatsapp'], locale: 'en' });
      expect(first.value.preferences.locale).toBe('en');
      await updatePreferences(deps(), call(clientUser(clientA)), { channels: ['email'], locale: 'es-CO' }, first.etag);
      await expect(
        updatePreferences(deps(), call(clientUser(clientA)), { channels: ['whatsapp'], locale: 'en' }, first.etag),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
    });

    it('staff manage users; only admins manage admins; scope must match role; client must exist', async () => {
      const r = await updateUser(deps(), call(operator), 'u9', {
        role: 'client',
        clientId: clientA,
        approvalLimit: { amount: 100, currency: 'COP' },
      });
      expect(r.created).toBe(true);
      await expect(updateUser(deps(), call(operator), 'u10', { role: 'admin' })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(updateUser(deps(), call(admin), 'u10', { role: 'admin' })).resolves.toMatchObject({ created: true });
      await expect(updateUser(deps(), call(operator), 'u10', { role: 'operator' })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(updateUser(deps(), call(operator), 'u11', { role: 'client' })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(updateUser(deps(), call(operator), 'u11', { role: 'client', clientId: 'cli_none' })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      await expect(
        updateUser(deps(), call(clientUser(clientA)), 'u12', { role: 'client', clientId: clientA }),
      ).rejects.toBeInstanceOf(ForbiddenError);
    });

    it('a user update keeps the user’s own preferences', async () => {
      const u = clientUser(clientA);
      await updatePreferences(deps(), call(u), { channels: ['whatsapp'], locale: 'en' });
      const r = await updateUser(deps(), call(operator), u.userId, { role: 'client', clientId: clientA, phone: '+573001234567' });
      expect(r.created).toBe(false);
      expect(r.profile.value.preferences).toEqual({ channels: ['whatsapp'], locale: 'en' });
    });

    it('a WhatsApp number names one person: another user with it is a 409; keeping one’s own is fine', async () => {
      const phone = '+573001112299';
      await updateUser(deps(), call(operator), 'u-a', { role: 'client', clientId: clientA, phone });
      await expect(updateUser(deps(), call(operator), 'u-b', { role: 'client', clientId: clientB, phone })).rejects.toMatchObject(
        { kind: 'conflict', details: { field: 'phone' } },
      );
      expect(await users.get('u-b')).toBeUndefined();
      await expect(
        updateUser(deps(), call(operator), 'u-a', { role: 'client', clientId: clientA, phone, name: 'Ana' }),
      ).resolves.toMatchObject({
        created: false,
      });
    });

    it('the WhatsApp directory finds the one owner of a number, and nobody when two profiles carry it (never a guess between tenants)', async () => {
      const directory = phoneDirectory(users);
      await updateUser(deps(), call(operator), 'u-a', { role: 'client', clientId: clientA, phone: '+573001112200' });
      expect((await directory.findByPhone('+573001112200'))?.userId).toBe('u-a');
      expect(await directory.findByPhone('+573009999999')).toBeUndefined();
      // Data written before numbers were unique: the same number on profiles of two tenants.
      await users.put({
        userId: 'u-old',
        role: 'client',
        clientId: clientB,
        phone: '+573001112200',
        preferences: { channels: ['whatsapp'], locale: 'es-CO' },
        updatedAt: '2026-01-01T00:00:00.000Z',
      });
      expect(await directory.findByPhone('+573001112200')).toBeUndefined();
    });
  });
});
