import { z } from 'zod';
import type { SecretStore, TaskComment, TaskPatch, TaskRequest, TaskTracker } from '../../application/integrations/ports';
import { fetchOnce, readBody, type PartnerRequest, type PartnerResponse } from './partner-fetch';
import { createPartnerPolicy, type PartnerPolicy } from './resilience';
import { PARTNER_SECRETS } from './secret-names';

/**
 * Asana REST API 1.0 (`https://app.asana.com/api/1.0`, bodies wrapped in `{ "data": ... }`),
 * authenticated with a personal access token (bearer) of the integration's service user.
 *
 * Idempotent creation: Asana's `external` id would be the natural key, but it is only available to
 * OAuth apps, and full-text task search is a premium feature. So the task's notes end with a marker
 * line `[algesta:order:<orderId>]`, and before creating, every attempt lists the project's tasks
 * modified within the lookback (`GET /tasks?project=&modified_since=`, paged) and returns the one that
 * carries the order's marker. The workflow records the gid on the order, so the search only matters
 * in the window between a create and that record (a redelivery, a lost response).
 *
 * Comments are stories (`POST /tasks/{gid}/stories`), which Asana never deduplicates either: each
 * ends with a marker line, and an attempt that follows a failed one first lists the task's stories
 * (`GET /tasks/{gid}/stories`, paged) for it, so a lost answer does not make a second comment.
 */
export interface AsanaOptions {
  readonly baseUrl?: string;
  readonly patSecret?: string;
  /** `modified_since` of the idempotency search; default 30 days. */
  readonly searchLookbackDays?: number;
  readonly now?: () => Date;
}

const PARTNER = 'asana';
export const ASANA_API = 'https://app.asana.com/api/1.0';
/** Order statuses whose task is complete. */
const DONE: ReadonlySet<string> = new Set(['CLOSED', 'CANCELLED', 'REJECTED']);

const taskRef = z.object({ gid: z.string().min(1), notes: z.string().optional() }).loose();
const taskPage = z.object({
  data: z.array(taskRef),
  next_page: z
    .object({ offset: z.string().min(1) })
    .loose()
    .nullish(),
});
const taskEnvelope = z.object({ data: taskRef });
const storyPage = z.object({
  data: z.array(z.object({ gid: z.string().min(1), text: z.string().nullish() }).loose()),
  next_page: z
    .object({ offset: z.string().min(1) })
    .loose()
    .nullish(),
});

export function orderMarker(orderId: string): string {
  return `[algesta:order:${orderId}]`;
}

/**
 * The notes a task is created with: the workflow's text and the order's marker line. Updates may
 * replace the notes (the marker is only needed until the gid is recorded on the order); pass them
 * through this to keep it anyway.
 */
export function taskNotes(input: { orderId: string; notes: string }): string {
  return `${input.notes.trimEnd()}\n\n${orderMarker(input.orderId)}`;
}

export class AsanaTaskTracker implements TaskTracker {
  private readonly baseUrl: string;
  private readonly now: () => Date;

  constructor(
    private readonly options: AsanaOptions,
    private readonly secrets: SecretStore,
    private readonly policy: PartnerPolicy = createPartnerPolicy(PARTNER),
  ) {
    this.baseUrl = (options.baseUrl ?? ASANA_API).replace(/\/+$/, '');
    this.now = options.now ?? (() => new Date());
  }

  ensureTask(input: TaskRequest): Promise<{ gid: string; created: boolean }> {
    return this.policy.execute('ensure task', async (signal) => {
      const existing = await this.findTask(input.projectGid, input.orderId, signal);
      if (existing) return { gid: existing, created: false };
      const response = await this.call(
        {
          operation: 'create task',
          method: 'POST',
          url: `${this.baseUrl}/tasks`,
          json: {
            data: {
              name: input.name,
              notes: taskNotes(input),
              projects: [input.projectGid],
              completed: DONE.has(input.status),
            },
          },
        },
        signal,
      );
      return { gid: readBody(taskEnvelope, response, PARTNER, 'create task').data.gid, created: true };
    });
  }

  updateTask(gid: string, patch: TaskPatch): Promise<void> {
    return this.policy.execute('update task', async (signal) => {
      const data = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      await this.call(
        { operation: 'update task', method: 'PUT', url: `${this.baseUrl}/tasks/${encodeURIComponent(gid)}`, json: { data } },
        signal,
      );
    });
  }

  addComment(gid: string, comment: TaskComment): Promise<void> {
    let attempted = false;
    return this.policy.execute('add comment', async (signal) => {
      // A failed attempt may have reached Asana (a lost answer): look before posting again.
      if (attempted && (await this.findStory(gid, comment.marker, signal))) return;
      attempted = true;
      await this.call(
        {
          operation: 'add comment',
          method: 'POST',
          url: `${this.baseUrl}/tasks/${encodeURIComponent(gid)}/stories`,
          json: { data: { text: `${comment.text.trimEnd()}\n${comment.marker}` } },
        },
        signal,
      );
    });
  }

  hasComment(gid: string, marker: string): Promise<boolean> {
    return this.policy.execute('search comments', (signal) => this.findStory(gid, marker, signal));
  }

  private async findStory(gid: string, marker: string, signal: AbortSignal): Promise<boolean> {
    const seen = new Set<string>();
    let offset: string | undefined;
    do {
      const query = new URLSearchParams({ opt_fields: 'text,resource_subtype', limit: '100' });
      if (offset) query.set('offset', offset);
      const response = await this.call(
        {
          operation: 'search comments',
          method: 'GET',
          url: `${this.baseUrl}/tasks/${encodeURIComponent(gid)}/stories?${query.toString()}`,
        },
        signal,
      );
      const page = readBody(storyPage, response, PARTNER, 'search comments');
      if (page.data.some((s) => (s.text ?? '').split('\n').some((line) => line.trim() === marker))) return true;
      offset = page.next_page?.offset;
      if (offset && seen.has(offset)) break;
      if (offset) seen.add(offset);
    } while (offset);
    return false;
  }

  private async findTask(projectGid: string, orderId: string, signal: AbortSignal): Promise<string | undefined> {
    const marker = orderMarker(orderId);
    const since = new Date(this.now().getTime() - (this.options.searchLookbackDays ?? 30) * 86_400_000).toISOString();
    const seen = new Set<string>();
    let offset: string | undefined;
    do {
      const query = new URLSearchParams({ project: projectGid, modified_since: since, opt_fields: 'notes', limit: '100' });
      if (offset) query.set('offset', offset);
      const response = await this.call(
        { operation: 'search tasks', method: 'GET', url: `${this.baseUrl}/tasks?${query.toString()}` },
        signal,
      );
      const page = readBody(taskPage, response, PARTNER, 'search tasks');
      const found = page.data.find((t) => (t.notes ?? '').split('\n').some((line) => line.trim() === marker));
      if (found) return found.gid;
      offset = page.next_page?.offset;
      // A partner that hands back an offset it already gave would page forever.
      if (offset && seen.has(offset)) break;
      if (offset) seen.add(offset);
    } while (offset);
    return undefined;
  }

  private async call(request: PartnerRequest, signal: AbortSignal): Promise<PartnerResponse> {
    const pat = await this.secrets.get(this.options.patSecret ?? PARTNER_SECRETS.asanaPat);
    return fetchOnce(PARTNER, { ...request, headers: { ...request.headers, authorization: `Bearer ${pat}` } }, signal);
  }
}
