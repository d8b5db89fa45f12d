import type { Client, Site } from '../shared/domain/clients/client';
import type { UserProfile } from '../shared/domain/users/user';
import type { Role } from '../shared/domain/access/principal';
import { DEFAULT_PREFERENCES } from '../shared/domain/users/user';
import type { ClientRepository, ProviderRepository, UserRepository } from '../shared/application/ports';
import type { ServiceCategory } from '../shared/domain/orders/order';
import { requiredDocumentTypes } from '../shared/domain/providers/documents';
import type { Provider } from '../shared/domain/providers/provider';
import { emptyScorecard } from '../shared/domain/providers/scorecard';
import { ConflictError } from '../shared/application/errors';
import { recordPriceSample, type PriceStatsStore } from '../shared/application/orders/price-guidance';
import { priceKey } from '../shared/domain/orders/price-guidance';
import type { FieldPolicy } from '../shared/domain/orders/field-policy';
import type { ApprovalChain } from '../shared/domain/orders/approval-chain';
import type { PlanRepository } from '../shared/application/plans/ports';
import { DEFAULT_CALENDAR } from '../shared/domain/orders/business-calendar';
import { localToday, nextDueOn } from '../shared/domain/plans/occurrences';
import type { Plan } from '../shared/domain/plans/plan';

/**
 * Demo data for a first start: one client with two sites, two approved providers and one user of
 * each role. Fixed ids, so the printed tokens and the README's examples stay valid across restarts.
 */
export const DEMO = {
  clientId: 'cli_00000000000000000000000001',
  siteIds: ['sit_00000000000000000000000001', 'sit_00000000000000000000000002'],
  providerIds: ['prv_00000000000000000000000001', 'prv_00000000000000000000000002'],
  users: {
    admin: 'usr-demo-admin',
    operator: 'usr-demo-operator',
    client: 'usr-demo-client',
    provider: 'usr-demo-provider',
  } satisfies Record<Role, string>,
  /** The WhatsApp numbers of the demo client and provider users (the console's simulator offers them). */
  phones: { client: '+573001112233', provider: '+573004445566' },
  /** Where the demo sites are (issue 17): check-ins are measured against these, 150 m around. */
  siteLocations: [
    { location: { lat: 4.647, lon: -74.0638 }, radiusMeters: 150 },
    { location: { lat: 6.2087, lon: -75.5678 }, radiusMeters: 150 },
  ],
  /**
   * A second client with a two-tier approval chain (issue 17): its site manager approves up to
   * 2,000,000 COP, finance above; a tier that does not answer within 8 business hours escalates.
   * Tokens: `npm run token -- --role client --client <clientId> --sub <user>`.
   */
  chainClient: {
    clientId: 'cli_00000000000000000000000002',
    siteId: 'sit_00000000000000000000000003',
    users: { siteManager: 'usr-demo-site-manager', finance: 'usr-demo-finance' },
  },
  /** The demo maintenance plan (docs/plans.md): weekly, its orders opened a week ahead. */
  planId: 'pln_00000000000000000000000001',
} as const;

/**
 * The demo client's field and invoice policy (issue 17): soft geofence (outside is flagged, not
 * refused), 30 minutes of labour tolerance, a rate card for common HVAC and electrical materials.
 */
export const DEMO_FIELD_POLICY: FieldPolicy = {
  geofence: 'soft',
  hardRules: [],
  labourTolerance: { minutes: 30 },
  rateCard: {
    currency: 'COP',
    materials: { 'CAP-35UF': 85_000_00, 'GAS-R410A': 60_000_00, 'BREAKER-20A': 45_000_00, 'FILTER-AC': 30_000_00 },
    hourlyLabourRate: 95_000_00,
  },
  requiredEvidence: [],
};

/** The chain client's approval chain (DEMO.chainClient). */
export const DEMO_APPROVAL_CHAIN: ApprovalChain = {
  tiers: [
    { id: 'site-manager', name: 'Jefe de sede', upTo: { amount: 2_000_000_00, currency: 'COP' } },
    { id: 'finance', name: 'Finanzas' },
  ],
  escalateAfterBusinessHours: 8,
};

const at = '2026-01-01T00:00:00.000Z';

export interface SeedTargets {
  readonly clients: ClientRepository;
  readonly users: UserRepository;
  readonly providers: ProviderRepository;
  /** The Asana sandbox's project: the demo client's orders get tasks there. */
  readonly asanaProjectId?: string;
  /** The price guidance's read model: the demo client's history of closed work. */
  readonly priceStats?: PriceStatsStore;
  /** Maintenance plans: the demo plan is written when given. */
  readonly plans?: PlanRepository;
  /** Today, for the demo plan's first date (its orders start from the day of seeding). */
  readonly now?: Date;
  /** `paused` seeds the demo plan paused (the test stacks: their tests count orders and messages). */
  readonly demoPlanStatus?: 'active' | 'paused';
}

/**
 * The demo client's price history (docs/orders.md, "Price guidance"): invoices of earlier closed
 * orders, so that quotes on a new order show their positions. Written through the read model's own
 * write (`recordPriceSample`), as the orders workflow writes a close; the orders themselves predate
 * the demo and are not stored.
 */
export const DEMO_PRICE_HISTORY: readonly { category: ServiceCategory; city: string; amounts: readonly number[] }[] = [
  {
    category: 'hvac',
    city: 'Bogotá',
    amounts: [950_000_00, 1_000_000_00, 1_080_000_00, 1_150_000_00, 1_200_000_00, 1_450_000_00],
  },
  { category: 'plumbing', city: 'Bogotá', amounts: [280_000_00, 320_000_00, 350_000_00, 410_000_00] },
];

/** Returns false when the demo data was already there (a restart), true when it was written now. */
export async function seedDemoData(t: SeedTargets): Promise<boolean> {
  if (await t.clients.get(DEMO.clientId)) return false;
  const client: Client = {
    id: DEMO.clientId,
    name: 'Comercial Andina S.A.S.',
    taxId: '900123456-8',
    timeZone: 'America/Bogota',
    currency: 'COP',
    ...(t.asanaProjectId ? { asanaProjectId: t.asanaProjectId } : {}),
    createdAt: at,
    createdBy: DEMO.users.admin,
    fieldPolicy: DEMO_FIELD_POLICY,
  };
  const sites: Site[] = [
    {
      id: DEMO.siteIds[0],
      clientId: DEMO.clientId,
      name: 'Sede Chapinero',
      address: 'Cra 13 # 60-12',
      city: 'Bogotá',
      createdAt: at,
      ...DEMO.siteLocations[0],
    },
    {
      id: DEMO.siteIds[1],
      clientId: DEMO.clientId,
      name: 'Sede El Poblado',
      address: 'Cl 10 # 43A-30',
      city: 'Medellín',
      createdAt: at,
      ...DEMO.siteLocations[1],
    },
  ];
  const providers = [
    demoProvider(
      DEMO.providerIds[0],
      'Refrigeración Total S.A.S.',
      '901234567-7',
      ['hvac', 'electrical'],
      ['Bogotá', 'Medellín'],
    ),
    demoProvider(DEMO.providerIds[1], 'Plomería y Obras Ltda.', '800987654-4', ['plumbing', 'civil'], ['Bogotá']),
  ];
  const profile = (userId: string, role: Role, extra: Partial<UserProfile> = {}): UserProfile => ({
    userId,
    role,
    name: `Demo ${role}`,
    email: `${role}@demo.algesta.local`,
    preferences: DEFAULT_PREFERENCES,
    updatedAt: at,
    ...extra,
  });

  for (const s of sites) await ignoreConflict(t.clients.addSite(s));
  for (const p of providers) if (!(await t.providers.get(p.id))) await ignoreConflict(t.providers.create(p, [], []));
  await t.users.put(profile(DEMO.users.admin, 'admin'));
  await t.users.put(profile(DEMO.users.operator, 'operator'));
  await t.users.put(
    profile(DEMO.users.client, 'client', {
      clientId: DEMO.clientId,
      phone: DEMO.phones.client,
      approvalLimit: { amount: 5_000_000_00, currency: 'COP' },
    }),
  );
  await t.users.put(profile(DEMO.users.provider, 'provider', { providerId: DEMO.providerIds[0], phone: DEMO.phones.provider }));
  if (t.priceStats) await seedPriceHistory(t.priceStats);
  await seedChainClient(t);
  if (t.plans) await ignoreConflict(t.plans.create(demoPlan(t.now ?? new Date(), t.demoPlanStatus)));
  // The client goes last: its presence is the marker that seeding finished.
  await ignoreConflict(t.clients.create(client));
  return true;
}

async function seedPriceHistory(priceStats: PriceStatsStore): Promise<void> {
  const clock = { now: () => new Date(at) };
  for (const [h, history] of DEMO_PRICE_HISTORY.entries())
    for (const [i, amount] of history.amounts.entries()) {
      // One closed order a fortnight through 2025, each with its own (never stored) order id.
      const closedAt = new Date(Date.UTC(2025, 0, 1 + 14 * i, 15)).toISOString();
      const orderId = `ord_${DEMO.clientId.slice(4)}_${String(h * 100 + i + 1).padStart(26, '0')}`;
      await recordPriceSample({ priceStats, clock }, priceKey(DEMO.clientId, history.category, history.city, 'COP'), {
        orderId,
        amount,
        closedAt,
      });
    }
}

/** The second demo client, with its two-tier approval chain, a site and a user per tier. */
async function seedChainClient(t: SeedTargets): Promise<void> {
  const { clientId, siteId, users } = DEMO.chainClient;
  await ignoreConflict(
    t.clients.create({
      id: clientId,
      name: 'Retail del Valle S.A.S.',
      taxId: '900765432-1',
      timeZone: 'America/Bogota',
      currency: 'COP',
      approvalChain: DEMO_APPROVAL_CHAIN,
      // The same field policy and rate card as the first client: one client shows all of issue 17's controls.
      fieldPolicy: DEMO_FIELD_POLICY,
      createdAt: at,
      createdBy: DEMO.users.admin,
    }),
  );
  await ignoreConflict(
    t.clients.addSite({
      id: siteId,
      clientId,
      name: 'Sede Unicentro',
      address: 'Cra 15 # 124-30',
      city: 'Bogotá',
      location: { lat: 4.7026, lon: -74.0417 },
      radiusMeters: 150,
      createdAt: at,
    }),
  );
  for (const [userId, tier, name] of [
    [users.siteManager, 'site-manager', 'Jefe de sede'],
    [users.finance, 'finance', 'Finanzas'],
  ] as const)
    await t.users.put({
      userId,
      role: 'client',
      clientId,
      name: `Demo ${name}`,
      email: `${userId.replace('usr-demo-', '')}@demo.algesta.local`,
      approvalTier: tier,
      preferences: DEFAULT_PREFERENCES,
      updatedAt: at,
    });
}

async function ignoreConflict<T>(p: Promise<T>): Promise<void> {
  try {
    await p;
  } catch (err) {
    // A previous start died half-way through seeding: what exists stays.
    if (!(err instanceof ConflictError)) throw err;
  }
}

/**
 * An approved demo provider whose required documents are approved and valid for years (their files
 * are not in storage: download URLs of the demo documents answer 404).
 */
export function demoProvider(
  id: string,
  legalName: string,
  nit: string,
  categories: ServiceCategory[],
  cities: string[],
): Provider {
  return {
    id,
    legalName,
    nit,
    contacts: { email: `contacto@${id.slice(-4)}.demo.algesta.local`, name: legalName },
    categories,
    cities,
    status: 'APPROVED',
    documents: requiredDocumentTypes(categories).map((type, i) => ({
      id: `doc_${String(i + 1).padStart(26, '0')}`,
      type,
      status: 'APPROVED' as const,
      fileName: `${type}.pdf`,
      contentType: 'application/pdf',
      size: 1024,
      blobName: `providers/${id}/demo-${type}`,
      ...(type === 'chamber-of-commerce' ? { issuedAt: '2025-12-15' } : {}),
      ...(type === 'insurance-policy' || type === 'safety-certification' ? { expiresAt: '2030-12-31' } : {}),
      requestedAt: at,
      requestedBy: DEMO.users.admin,
      uploadedAt: at,
      reviewedAt: at,
      reviewedBy: DEMO.users.operator,
    })),
    scorecard: emptyScorecard(),
    createdAt: at,
    createdBy: DEMO.users.admin,
    updatedAt: at,
    version: 1,
  };
}

/**
 * The demo plan: the HVAC filters of Sede Chapinero every week on the weekday of seeding, moved to
 * the next business day on a holiday, opened seven days ahead, with the first demo provider
 * pre-approved — so the plan timer opens (and assigns) its first orders on its first run after
 * `npm start`.
 */
export function demoPlan(now: Date, status: 'active' | 'paused' = 'active'): Plan {
  const cal = DEFAULT_CALENDAR;
  const today = localToday(now.toISOString(), cal);
  const weekday = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][new Date(`${today}T00:00:00.000Z`).getUTCDay()];
  const plan: Plan = {
    id: DEMO.planId,
    clientId: DEMO.clientId,
    siteId: DEMO.siteIds[0],
    category: 'hvac',
    title: 'Mantenimiento preventivo: filtros de aire acondicionado',
    description: 'Limpieza de filtros y revisión del drenaje de las unidades de la sede.',
    checklist: [
      { id: 'filtros', label: 'Filtros limpios' },
      { id: 'drenaje', label: 'Drenaje libre' },
    ],
    rrule: `FREQ=WEEKLY;BYDAY=${weekday}`,
    startDate: today,
    businessDayRule: 'next-business-day',
    leadTimeDays: 7,
    preApproved: { nte: { amount: 450_000_00, currency: 'COP' }, providerId: DEMO.providerIds[0] },
    status,
    createdBy: { userId: DEMO.users.client, name: 'Demo client', email: 'client@demo.algesta.local' },
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 1,
    effectiveFrom: today,
  };
  const next = nextDueOn(plan, cal, today);
  return next ? { ...plan, nextDueOn: next } : plan;
}
