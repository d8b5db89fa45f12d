import type { Asset } from '../../application/assets';

/**
 * The assets sandbox's catalogue: the demo client's equipment at its two sites (local/seed.ts seeds
 * the same client and sites). Any other code is unknown to the sandbox, as it would be to the real
 * system, and the orders workflow flags it for triage.
 */
const CLIENT = 'cli_00000000000000000000000001';
const BOGOTA = 'sit_00000000000000000000000001';
const MEDELLIN = 'sit_00000000000000000000000002';

export const SANDBOX_ASSETS: readonly Asset[] = [
  {
    code: 'HVAC-001',
    clientId: CLIENT,
    siteId: BOGOTA,
    name: 'Aire acondicionado piso 3',
    category: 'hvac',
    model: 'Carrier 42QHC',
  },
  { code: 'ELEC-001', clientId: CLIENT, siteId: BOGOTA, name: 'Tablero eléctrico principal', category: 'electrical' },
  { code: 'PLUM-001', clientId: CLIENT, siteId: BOGOTA, name: 'Bomba de agua', category: 'plumbing', model: 'Pedrollo CPm 620' },
  { code: 'HVAC-101', clientId: CLIENT, siteId: MEDELLIN, name: 'Chiller sótano', category: 'hvac', model: 'Trane CGAM' },
];
