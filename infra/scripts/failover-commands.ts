/**
 * The Azure CLI commands of the region failover (infra/scripts/region-failover.ts): for each step one
 * read of the current state and one change, all through the runner of az.ts, so that
 * test/infra/region-failover.test.ts sees them as its fake `az` on PATH records them.
 */
import { azJson, tail, type Az } from './az.ts';
import type { FrontDoor } from './deployment-outputs.ts';
import { originCommand } from './rollout-commands.ts';

/** ARM's region name from a display name: `East US 2` → `eastus2` (lower case, no spaces). */
export const armRegion = (name: string): string => name.replace(/\s+/g, '').toLowerCase();

// ---- Front Door ----

/** `az afd origin show` (learn.microsoft.com/cli/azure/afd/origin): the AFDOrigin's enabledState. */
export function originState(run: Az, fd: FrontDoor, origin: string): string {
  const answer = azJson<{ enabledState?: string }>(run, originCommand('show', fd, origin));
  if (!answer.enabledState) throw new Error(`origin ${origin} has no enabledState`);
  return answer.enabledState;
}

// ---- Cosmos DB ----

export interface CosmosAccount {
  readonly name: string;
  readonly resourceGroup: string;
}

interface Location {
  readonly locationName: string;
  readonly failoverPriority: number;
}

export interface CosmosState {
  /** Display name of the write region (`East US 2`); one write region (design point 4). */
  readonly writeRegion: string;
  /** Every region with its failover priority, by display name. */
  readonly regions: readonly Location[];
  readonly automaticFailover: boolean;
}

/** `az cosmosdb show` (learn.microsoft.com/cli/azure/cosmosdb#az-cosmosdb-show): the DatabaseAccount. */
export function cosmosState(run: Az, account: CosmosAccount): CosmosState {
  const answer = azJson<{
    writeLocations?: Location[];
    failoverPolicies?: Location[];
    enableAutomaticFailover?: boolean;
  }>(run, ['cosmosdb', 'show', '--resource-group', account.resourceGroup, '--name', account.name]);
  const write = answer.writeLocations?.[0]?.locationName;
  if (!write) throw new Error(`Cosmos DB account ${account.name} lists no write region`);
  return {
    writeRegion: write,
    regions: [...(answer.failoverPolicies ?? [])].sort((a, b) => a.failoverPriority - b.failoverPriority),
    automaticFailover: answer.enableAutomaticFailover === true,
  };
}

/**
 * The forced failover of a region outage: `az cosmosdb offline-region --region <write region>`
 * (learn.microsoft.com/cli/azure/cosmosdb#az-cosmosdb-offline-region, "Offline the specified region";
 * REST: Database Accounts - Offline Region, the region "with spaces between words and each word
 * capitalized"). Microsoft's reliability guide calls taking the region offline "the recommended
 * approach for quickly restoring availability" while the write region is down; the read region with
 * the next failover priority becomes the write region, "usually a few seconds", and writes not yet
 * replicated out of the offline region may be lost; it comes back only when Microsoft brings it back
 * online (learn.microsoft.com/azure/reliability/reliability-cosmos-db, Behavior during a write region
 * failure, Region recovery). A failover-priority change, by contrast, is a planned operation that
 * needs the regions healthy: that is what the drill uses (plannedWriteRegion).
 */
export function offlineRegion(run: Az, account: CosmosAccount, displayName: string): void {
  const result = run([
    'cosmosdb',
    'offline-region',
    '--resource-group',
    account.resourceGroup,
    '--name',
    account.name,
    '--region',
    displayName,
  ]);
  if (result.status !== 0) throw new Error(`az cosmosdb offline-region failed (${tail(result)})`);
}

/**
 * The planned change of write region of the drill (both regions healthy, no data loss): service-managed
 * failover off for the test, as Microsoft's test procedure asks (reliability-cosmos-db, Test for region
 * failures), then `az cosmosdb failover-priority-change --failover-policies <target>=0 <other>=1`
 * (learn.microsoft.com/cli/azure/cosmosdb#az-cosmosdb-failover-priority-change; "A failover priority
 * of 0 indicates a write region", REST Database Accounts - Failover Priority Change).
 */
export function plannedWriteRegion(run: Az, account: CosmosAccount, state: CosmosState, target: string): void {
  const base = ['--resource-group', account.resourceGroup, '--name', account.name];
  if (state.automaticFailover) azJson(run, ['cosmosdb', 'update', ...base, '--enable-automatic-failover', 'false']);
  const others = state.regions.filter((r) => armRegion(r.locationName) !== target).map((r) => armRegion(r.locationName));
  const policies = [target, ...others].map((region, priority) => `${region}=${priority}`);
  const result = run(['cosmosdb', 'failover-priority-change', ...base, '--failover-policies', ...policies]);
  if (result.status !== 0) throw new Error(`az cosmosdb failover-priority-change failed (${tail(result)})`);
}

// ---- Service Bus Geo-DR ----

export interface Namespace {
  readonly name: string;
  readonly resourceGroup: string;
  readonly region: string;
}

/**
 * `az servicebus georecovery-alias show` (learn.microsoft.com/cli/azure/servicebus/georecovery-alias):
 * the ArmDisasterRecovery, whose `role` is `Primary`, `PrimaryNotReplicating` or `Secondary` (REST:
 * Disaster Recovery Configs - Get, RoleDisasterRecovery).
 */
export function aliasRole(run: Az, ns: Namespace, alias: string): { role: string; provisioningState: string } {
  const answer = azJson<{ role?: string; provisioningState?: string }>(run, [
    'servicebus',
    'georecovery-alias',
    'show',
    '--resource-group',
    ns.resourceGroup,
    '--namespace-name',
    ns.name,
    '--alias',
    alias,
  ]);
  if (!answer.role) throw new Error(`alias ${alias} on ${ns.name} has no role`);
  return { role: answer.role, provisioningState: answer.provisioningState ?? '' };
}

/**
 * `az servicebus georecovery-alias fail-over --resource-group --namespace-name --alias`, run against the
 * SECONDARY namespace: it "reconfigures the alias to point to the secondary namespace"
 * (learn.microsoft.com/cli/azure/servicebus/georecovery-alias#az-servicebus-georecovery-alias-fail-over).
 * Microsoft: the failover is started by the customer only, "typically occurs within 5 to 10 minutes",
 * breaks the pairing (the former secondary becomes a primary without partner), and does not move the
 * messages (learn.microsoft.com/azure/service-bus-messaging/service-bus-geo-dr;
 * learn.microsoft.com/azure/reliability/reliability-service-bus). No `--is-safe-failover`: a safe
 * failover means "the service should wait for pending replication to finish before switching to the
 * secondary" (FailoverProperties.IsSafeFailover, learn.microsoft.com/dotnet/api/
 * azure.resourcemanager.servicebus.models.failoverproperties.issafefailover), which needs the primary
 * that a region outage has taken away; the CLI's default is the plain failover.
 */
export function aliasFailover(run: Az, ns: Namespace, alias: string): void {
  const result = run([
    'servicebus',
    'georecovery-alias',
    'fail-over',
    '--resource-group',
    ns.resourceGroup,
    '--namespace-name',
    ns.name,
    '--alias',
    alias,
  ]);
  if (result.status !== 0) throw new Error(`az servicebus georecovery-alias fail-over failed (${tail(result)})`);
}
