/**
 * What the code defines, in the form the checkers take: imported from the code itself, so the
 * code stays the one source of truth and infra/ is checked against it.
 */
import { readFileSync } from 'node:fs';
import { BLOB_CONTAINERS, CONTAINERS, type ContainerDefinition } from '../../../shared/adapters/cosmos/containers';
import { TOPOLOGY } from '../../../shared/adapters/servicebus/topology';
import * as config from '../../../shared/platform/config';
import { REPO, filesUnder } from './bicep';
import type { AccessContract, SettingsContract } from './contracts';

export const COSMOS_CONTAINERS: readonly ContainerDefinition[] = Object.values(CONTAINERS);
export { BLOB_CONTAINERS, TOPOLOGY };

/**
 * Settings only the embedded stack reads (keys of the emulators, the dev issuer, partner
 * sandboxes). config.ts says so in comments today; once it exports `localOnlySettings`, that is used.
 */
export const LOCAL_ONLY: ReadonlySet<string> =
  ((config as unknown as Record<string, unknown>).localOnlySettings as ReadonlySet<string> | undefined) ??
  new Set(['COSMOS_KEY', 'STORAGE_CONNECTION_STRING', 'AUTH_DEV_KEY_DIR', 'SANDBOX_DIR']);

/** The `connection` of every trigger binding registered under functions/. */
export function triggerConnections(): string[] {
  const found = new Set<string>();
  for (const file of filesUnder(`${REPO}/functions`, /\.ts$/))
    for (const m of readFileSync(file, 'utf8').matchAll(/\bconnection:\s*'([A-Za-z0-9_]+)'/g)) found.add(m[1]!);
  return [...found].sort();
}

const shape = config.settingsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;

export const SETTINGS: SettingsContract = {
  keys: Object.keys(shape),
  required: new Set(Object.keys(shape).filter((k) => !shape[k]!.safeParse(undefined).success)),
  secrets: config.secretSettings as ReadonlySet<string>,
  localOnly: LOCAL_ONLY,
  triggerConnections: triggerConnections(),
};

/** What the code reaches in the data plane. */
export const ACCESS: AccessContract = {
  cosmos: COSMOS_CONTAINERS.some((c) => !c.localOnly),
  topic: TOPOLOGY.topic,
  subscriptions: TOPOLOGY.subscriptions.map((s) => s.name),
  blobContainers: BLOB_CONTAINERS,
};
