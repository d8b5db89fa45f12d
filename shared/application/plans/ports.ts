import type { Plan } from '../../domain/plans/plan';
import type { Page, PageRequest, Versioned } from '../ports';

/** Maintenance plans, in their client's partition (docs/plans.md). */
export interface PlanRepository {
  /** Writes a new plan; ConflictError when the id exists. */
  create(plan: Plan): Promise<Versioned<Plan>>;
  get(clientId: string, planId: string): Promise<Versioned<Plan> | undefined>;
  /** Replaces the plan only if its stored version still has `etag` (PreconditionFailedError otherwise). */
  save(plan: Plan, etag: string): Promise<Versioned<Plan>>;
  /** One client's plans (single partition), by id. */
  listForClient(clientId: string, page: PageRequest): Promise<Page<Plan>>;
  /** The timer's query: active plans whose next order is due on or before `date` (fans out), soonest first. */
  findDue(date: string, limit: number): Promise<{ clientId: string; planId: string }[]>;
}
