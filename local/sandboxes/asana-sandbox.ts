import { z } from 'zod';
import {
  bearer,
  jsonBody,
  startHttpSandbox,
  type SandboxControls,
  type SandboxRequest,
  type SandboxResponse,
} from './http-sandbox';
import { JsonState } from './json-state';

/**
 * Asana as far as Algesta uses it (`/api/1.0`, bodies in `{ "data": ... }`, errors as
 * `{ "errors": [{ "message" }] }`), with a personal access token checked on every call:
 * `POST /tasks`, `GET /tasks/{gid}`, `PUT /tasks/{gid}`, and the listings `GET /tasks?project=`
 * and `GET /projects/{gid}/tasks` (`modified_since`, `opt_fields`, `limit` 1–100, `offset` paging
 * with `next_page`). Any numeric project gid exists. Listings answer compact records (`gid`, `name`,
 * `resource_type`) plus the `opt_fields` asked for; single-task answers are full records.
 * A task's stories: `POST /tasks/{gid}/stories` `{ data: { text } }` adds a comment (201; like
 * Asana, the same text twice makes two comments), `GET /tasks/{gid}/stories` lists them oldest first
 * (`limit`, `offset` paging), with the system story Asana adds when the task is created.
 */
export interface AsanaSandboxOptions {
  readonly dataDir: string;
  readonly port?: number;
  readonly host?: string;
  readonly pat: string;
  readonly now?: () => Date;
}

export interface SandboxStory {
  readonly gid: string;
  /** `comment` (added through the API) or `system` (Asana's own). */
  readonly type: 'comment' | 'system';
  readonly resource_subtype: string;
  readonly text: string;
  readonly created_at: string;
}

export interface SandboxTask {
  readonly gid: string;
  name: string;
  notes: string;
  completed: boolean;
  completed_at: string | null;
  readonly created_at: string;
  modified_at: string;
  readonly projects: readonly string[];
  /** Oldest first. Absent in state files written before stories existed. */
  stories?: SandboxStory[];
}

export interface AsanaSandbox extends SandboxControls {
  tasks(): readonly SandboxTask[];
  task(gid: string): SandboxTask | undefined;
}

const GID = /^\d+$/;
const createBody = z.object({
  data: z.object({
    name: z.string().min(1),
    notes: z.string().optional(),
    completed: z.boolean().optional(),
    projects: z.array(z.string().regex(GID)).min(1),
  }),
});
const updateBody = z.object({
  data: z
    .object({ name: z.string().min(1).optional(), notes: z.string().optional(), completed: z.boolean().optional() })
    .strict(),
});

const storyBody = z.object({ data: z.object({ text: z.string().min(1) }) });

const asanaError = (status: number, message: string): SandboxResponse => ({ status, json: { errors: [{ message }] } });

function pageOf(req: SandboxRequest): { start: number; limit: number } | SandboxResponse {
  const q = req.url.searchParams;
  const limit = Number(q.get('limit') ?? '100');
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return asanaError(400, 'limit: must be between 1 and 100');
  const start = q.get('offset') ? Number(Buffer.from(q.get('offset') ?? '', 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) return asanaError(400, 'offset: Invalid offset');
  return { start, limit };
}

const nextOffset = (start: number, limit: number, total: number) =>
  start + limit < total ? Buffer.from(String(start + limit), 'utf8').toString('base64url') : undefined;

export async function startAsanaSandbox(opts: AsanaSandboxOptions): Promise<AsanaSandbox> {
  const now = opts.now ?? (() => new Date());
  const state = await JsonState.open<{ nextGid: number; tasks: SandboxTask[] }>(opts.dataDir, () => ({
    nextGid: 1_209_000_000_000_001,
    tasks: [],
  }));
  const find = (gid: string) => state.value.tasks.find((t) => t.gid === gid);

  function full(t: SandboxTask) {
    return {
      gid: t.gid,
      resource_type: 'task',
      resource_subtype: 'default_task',
      name: t.name,
      notes: t.notes,
      completed: t.completed,
      completed_at: t.completed_at,
      created_at: t.created_at,
      modified_at: t.modified_at,
      projects: t.projects.map((gid) => ({ gid, resource_type: 'project' })),
    };
  }

  function list(req: SandboxRequest, projectGid: string | null): SandboxResponse {
    if (!projectGid || !GID.test(projectGid)) return asanaError(400, 'project: Not a valid project gid');
    const q = req.url.searchParams;
    const paging = pageOf(req);
    if ('status' in paging) return paging;
    const { start, limit } = paging;
    const since = q.get('modified_since');
    if (since && Number.isNaN(Date.parse(since))) return asanaError(400, 'modified_since: Not a valid date');
    const fields = (q.get('opt_fields') ?? '').split(',').filter((f) => f.length > 0);
    const matching = state.value.tasks.filter(
      (t) => t.projects.includes(projectGid) && (!since || Date.parse(t.modified_at) >= Date.parse(since)),
    );
    const page = matching.slice(start, start + limit).map((t) => {
      const record = full(t) as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(record).filter(([k]) => k === 'gid' || k === 'name' || k === 'resource_type' || fields.includes(k)),
      );
    });
    const next = nextOffset(start, limit, matching.length);
    return {
      status: 200,
      json: {
        data: page,
        next_page: next ? { offset: next, path: `/tasks?project=${projectGid}&limit=${limit}&offset=${next}`, uri: '' } : null,
      },
    };
  }

  async function create(req: SandboxRequest): Promise<SandboxResponse> {
    const parsed = createBody.safeParse(jsonBody(req));
    if (!parsed.success) return asanaError(400, parsed.error.issues[0]?.message ?? 'invalid request');
    const d = parsed.data.data;
    const at = now().toISOString();
    const task: SandboxTask = {
      gid: String(state.value.nextGid++),
      name: d.name,
      notes: d.notes ?? '',
      completed: d.completed ?? false,
      completed_at: d.completed ? at : null,
      created_at: at,
      modified_at: at,
      projects: d.projects,
      stories: [
        {
          gid: String(state.value.nextGid++),
          type: 'system',
          resource_subtype: 'added_to_project',
          text: 'added to project',
          created_at: at,
        },
      ],
    };
    state.value.tasks.push(task);
    await state.save();
    return { status: 201, json: { data: full(task) } };
  }

  async function update(req: SandboxRequest, task: SandboxTask): Promise<SandboxResponse> {
    const parsed = updateBody.safeParse(jsonBody(req));
    if (!parsed.success) return asanaError(400, parsed.error.issues[0]?.message ?? 'invalid request');
    const d = parsed.data.data;
    const at = now().toISOString();
    if (d.name !== undefined) task.name = d.name;
    if (d.notes !== undefined) task.notes = d.notes;
    if (d.completed !== undefined && d.completed !== task.completed) {
      task.completed = d.completed;
      task.completed_at = d.completed ? at : null;
    }
    task.modified_at = at;
    await state.save();
    return { status: 200, json: { data: full(task) } };
  }

  const storyRecord = (task: SandboxTask, story: SandboxStory) => ({
    ...story,
    resource_type: 'story',
    target: { gid: task.gid, resource_type: 'task' },
  });

  async function addStory(req: SandboxRequest, task: SandboxTask): Promise<SandboxResponse> {
    const parsed = storyBody.safeParse(jsonBody(req));
    if (!parsed.success) return asanaError(400, parsed.error.issues[0]?.message ?? 'invalid request');
    const story: SandboxStory = {
      gid: String(state.value.nextGid++),
      type: 'comment',
      resource_subtype: 'comment_added',
      text: parsed.data.data.text,
      created_at: now().toISOString(),
    };
    (task.stories ??= []).push(story);
    await state.save();
    return { status: 201, json: { data: storyRecord(task, story) } };
  }

  function listStories(req: SandboxRequest, task: SandboxTask): SandboxResponse {
    const paging = pageOf(req);
    if ('status' in paging) return paging;
    const { start, limit } = paging;
    const all = task.stories ?? [];
    const next = nextOffset(start, limit, all.length);
    return {
      status: 200,
      json: {
        data: all.slice(start, start + limit).map((s) => storyRecord(task, s)),
        next_page: next ? { offset: next, path: `/tasks/${task.gid}/stories?limit=${limit}&offset=${next}`, uri: '' } : null,
      },
    };
  }

  async function handle(req: SandboxRequest): Promise<SandboxResponse> {
    const path = req.url.pathname.replace(/^\/api\/1\.0/, '');
    if (!req.url.pathname.startsWith('/api/1.0/')) return asanaError(404, 'Not found');
    if (bearer(req.headers) !== opts.pat) return asanaError(401, 'Not Authorized');

    if (path === '/tasks') {
      if (req.method === 'POST') return create(req);
      if (req.method === 'GET') return list(req, req.url.searchParams.get('project'));
    }
    const projectTasks = /^\/projects\/([^/]+)\/tasks$/.exec(path);
    if (projectTasks && req.method === 'GET') return list(req, decodeURIComponent(projectTasks[1] ?? ''));
    const one = /^\/tasks\/([^/]+)(\/stories)?$/.exec(path);
    if (one) {
      const gid = decodeURIComponent(one[1] ?? '');
      if (!GID.test(gid)) return asanaError(400, 'task: Not a recognized ID');
      const task = find(gid);
      if (!task) return asanaError(404, 'task: Unknown object');
      if (one[2]) {
        if (req.method === 'POST') return addStory(req, task);
        if (req.method === 'GET') return listStories(req, task);
      } else {
        if (req.method === 'GET') return { status: 200, json: { data: full(task) } };
        if (req.method === 'PUT') return update(req, task);
      }
    }
    return asanaError(404, 'Not found');
  }

  const http = await startHttpSandbox({
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    handle,
  });
  return Object.assign(http, { tasks: () => state.value.tasks, task: find });
}
