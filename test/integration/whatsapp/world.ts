import { demoProvider } from '../../../local/seed';
import type { CallContext } from '../../../shared/application/context';
import { contractSigned, performOrderAction, type LifecycleDeps } from '../../../shared/application/orders/lifecycle';
import { createOrder } from '../../../shared/application/orders/orders';
import { refreshProviderOrderViews } from '../../../shared/application/orders/provider-views';
import { recordInvitations } from '../../../shared/application/providers/providers';
import { handleInboundWhatsApp, type WhatsAppDeps } from '../../../shared/application/whatsapp/conversations';
import type { InboundWhatsApp } from '../../../shared/application/whatsapp/ports';
import { makeId } from '../../../shared/domain/shared/ids';
import { DEFAULT_PREFERENCES, type UserProfile } from '../../../shared/domain/users/user';
import {
  MemoryAttachments,
  MemoryClients,
  MemoryFiles,
  MemoryOrders,
  MemoryProviders,
  MemoryUsers,
  sequentialIds,
} from '../../support/memory';
import {
  MemoryConversationStore,
  MemoryInvitationResponses,
  MemoryMediaFetcher,
  MemoryMediaStore,
  MemoryPhoneDirectory,
  RecordingWhatsAppSender,
} from '../../support/whatsapp-memory';

/**
 * A small platform in memory for the WhatsApp flows: one client with two sites in Bogotá, one
 * approved HVAC provider, a client user and a provider user with phones, and an operator who drives
 * the orders through the same application commands as the API.
 */
export const CLIENT_ID = 'cli_00000000000000000000000001';
export const PROVIDER_ID = 'prv_00000000000000000000000001';
export const SITES = [makeId('site', '00000000000000000000000001'), makeId('site', '00000000000000000000000002')] as const;
export const PHONES = { client: '+573001112233', provider: '+573004445566', stranger: '+573009998877' } as const;
/** A Monday, 10:00 in Bogotá; the demo provider's documents are valid around it. */
export const START = '2026-02-02T15:00:00.000Z';

/** A real JPEG and PNG head: the MediaStore checks the bytes' type as an upload would be. */
export const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
export const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

export async function world(options: { clientLocale?: 'es-CO' | 'en' } = {}) {
  let now = new Date(START);
  const clock = { now: () => now };
  const clients = new MemoryClients();
  const users = new MemoryUsers();
  const orders = new MemoryOrders();
  const providers = new MemoryProviders();
  const attachments = new MemoryAttachments();
  const files = new MemoryFiles();
  await clients.create({
    id: CLIENT_ID,
    name: 'Banco Andino',
    timeZone: 'America/Bogota',
    currency: 'COP',
    createdAt: START,
    createdBy: 'seed',
  });
  await clients.addSite({
    id: SITES[0],
    clientId: CLIENT_ID,
    name: 'Sede Norte',
    address: 'Cl 100',
    city: 'Bogotá',
    createdAt: START,
  });
  await clients.addSite({
    id: SITES[1],
    clientId: CLIENT_ID,
    name: 'Sede Centro',
    address: 'Cra 7',
    city: 'Bogotá',
    createdAt: START,
  });
  await providers.create(demoProvider(PROVIDER_ID, 'Frío Total S.A.S.', '901234567-7', ['hvac'], ['Bogotá']), [], []);
  const clientUser: UserProfile = {
    userId: 'u-client',
    role: 'client',
    clientId: CLIENT_ID,
    name: 'Ana',
    phone: PHONES.client,
    approvalLimit: { amount: 5_000_000_00, currency: 'COP' },
    preferences: { ...DEFAULT_PREFERENCES, locale: options.clientLocale ?? 'es-CO' },
    updatedAt: START,
  };
  const providerUser: UserProfile = {
    userId: 'u-provider',
    role: 'provider',
    providerId: PROVIDER_ID,
    name: 'Luis',
    phone: PHONES.provider,
    preferences: DEFAULT_PREFERENCES,
    updatedAt: START,
  };
  await users.put(clientUser);
  await users.put(providerUser);

  const lifecycle: LifecycleDeps = { orders, clients, providers, users, attachments, clock, ids: sequentialIds() };
  const conversations = new MemoryConversationStore();
  const sender = new RecordingWhatsAppSender();
  const mediaFetcher = new MemoryMediaFetcher();
  const invitationResponses = new MemoryInvitationResponses();
  const deps: WhatsAppDeps = {
    ...lifecycle,
    phones: new MemoryPhoneDirectory([clientUser, providerUser]),
    conversations,
    sender,
    mediaFetcher,
    mediaStore: new MemoryMediaStore({ orders, attachments, files }, clock.now),
    invitationResponses,
  };

  const call = (principal: CallContext['principal']): CallContext => ({ principal, correlationId: 'test' });
  const operator = call({ userId: 'u-op', role: 'operator' });
  const client = call({ userId: clientUser.userId, role: 'client', clientId: CLIENT_ID, name: 'Ana' });
  const provider = call({ userId: providerUser.userId, role: 'provider', providerId: PROVIDER_ID });

  let events = 0;
  const inbound = (from: string, body: Partial<InboundWhatsApp>): InboundWhatsApp => ({
    eventId: `wamid.${++events}`,
    from,
    at: now.toISOString(),
    kind: 'text',
    ...body,
  });

  /** What the providers workflow does on `order.quotes-requested` and status changes. */
  async function syncProviderViews(orderId: string) {
    const order = (await orders.get(CLIENT_ID, orderId))?.value;
    if (!order) return;
    await refreshProviderOrderViews({ orders, providers }, CLIENT_ID, orderId);
    if (order.status === 'QUOTING' && order.quoteDeadline) {
      const site = await clients.getSite(CLIENT_ID, order.siteId);
      await recordInvitations(
        { providers, clock },
        {
          orderId,
          clientId: CLIENT_ID,
          siteId: order.siteId,
          category: order.category,
          city: site?.value.city ?? '',
          title: order.title,
          providerIds: order.invitedProviderIds ?? [],
          quoteDeadline: order.quoteDeadline,
        },
      );
    }
  }

  /** An order the operator has put out for quotes (the provider is invited). */
  async function orderInQuoting(title: string): Promise<string> {
    const id = (
      await createOrder(lifecycle, client, { siteId: SITES[0], category: 'hvac', priority: 'P3', title, description: title })
    ).value.id;
    await performOrderAction(lifecycle, operator, id, 'triage', {});
    await performOrderAction(lifecycle, operator, id, 'request-quotes', {
      quoteDeadline: new Date(now.getTime() + 3 * 86_400_000).toISOString(),
    });
    await syncProviderViews(id);
    return id;
  }

  /** An order assigned to the provider, contract signed, visit scheduled by the provider. */
  async function orderScheduled(title: string): Promise<string> {
    const id = (
      await createOrder(lifecycle, client, { siteId: SITES[1], category: 'hvac', priority: 'P2', title, description: title })
    ).value.id;
    await performOrderAction(lifecycle, operator, id, 'triage', {});
    await performOrderAction(lifecycle, operator, id, 'assign', {
      providerId: PROVIDER_ID,
      amount: { amount: 900_000_00, currency: 'COP' },
    });
    await contractSigned(lifecycle, { correlationId: 'test' }, CLIENT_ID, id);
    await performOrderAction(lifecycle, provider, id, 'schedule', { visitAt: new Date(now.getTime() + 3_600_000).toISOString() });
    await syncProviderViews(id);
    return id;
  }

  return {
    deps,
    orders,
    attachments,
    files,
    conversations,
    sender,
    mediaFetcher,
    invitationResponses,
    client,
    provider,
    orderInQuoting,
    orderScheduled,
    syncProviderViews,
    inbound,
    advance: (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000)),
    /** Delivers one inbound event; answers the texts sent to that phone by it. */
    async deliver(event: InboundWhatsApp) {
      const before = sender.sent.length;
      const outcome = await handleInboundWhatsApp(deps, event);
      return { outcome, replies: sender.sent.slice(before).map((m) => m.text ?? '') };
    },
    say(from: string, text: string) {
      return this.deliver(inbound(from, { kind: 'text', text }));
    },
    photo(from: string, url: string, contentType = 'image/jpeg') {
      return this.deliver(inbound(from, { kind: 'image', mediaUrl: url, mediaContentType: contentType }));
    },
  };
}

export type World = Awaited<ReturnType<typeof world>>;
