import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerRejectedError, PartnerUnavailableError } from '../../../shared/application/integrations/errors';
import { AsanaTaskTracker, orderMarker, taskNotes } from '../../../shared/adapters/partners/asana';
import { PARTNER_SECRETS } from '../../../shared/adapters/partners/secret-names';
import { startAsanaSandbox, type AsanaSandbox, type SandboxTask } from '../../../local/sandboxes/asana-sandbox';
import { failure, fastPolicy, memorySecrets, tempDir } from './support';

/** The Asana adapter against the Asana sandbox: PAT, { data } bodies, idempotent tasks, paging, errors. */
const PAT = `2/${randomUUID()}`;
const PROJECT = '1209000000000077';
let dir: Awaited<ReturnType<typeof tempDir>>;
let sandbox: AsanaSandbox;
const seededOrder = 'ord_seeded_deep_in_the_list';

beforeAll(async () => {
  dir = await tempDir();
  // 150 tasks already in the project, the one for `seededOrder` near the end: finding it takes two pages.
  const at = new Date().toISOString();
  const tasks: SandboxTask[] = Array.from({ length: 150 }, (_, i) => ({
    gid: String(1_209_000_000_100_000 + i),
    name: `Otra tarea ${i}`,
    notes: i === 140 ? taskNotes({ orderId: seededOrder, notes: 'Orden sembrada' }) : `nota ${i}`,
    completed: false,
    completed_at: null,
    created_at: at,
    modified_at: at,
    projects: [PROJECT],
  }));
  await mkdir(dir.path, { recursive: true });
  await writeFile(join(dir.path, 'state.json'), JSON.stringify({ nextGid: 1_209_000_000_200_000, tasks }));
  sandbox = await startAsanaSandbox({ dataDir: dir.path, pat: PAT });
});
afterAll(async () => {
  await sandbox.close();
  await dir.dispose();
});
afterEach(() => {
  sandbox.recover();
  sandbox.clearRequests();
});

const tracker = (pat = PAT, policy = fastPolicy('asana')) =>
  new AsanaTaskTracker({ baseUrl: `${sandbox.url}/api/1.0` }, memorySecrets({ [PARTNER_SECRETS.asanaPat]: pat }), policy);
const input = (orderId = `ord_${randomUUID()}`) => ({
  orderId,
  projectGid: PROJECT,
  name: 'Aire acondicionado sin enfriar',
  notes: 'Piso 3, desde ayer',
  status: 'SUBMITTED',
});
const tasksFor = (orderId: string) => sandbox.tasks().filter((t) => t.notes.includes(orderMarker(orderId)));

describe('tasks', () => {
  it('creates the task in the project with the PAT as bearer and the order marker in the notes', async () => {
    const req = input();
    const { gid, created } = await tracker().ensureTask(req);
    expect(created).toBe(true);
    expect(sandbox.task(gid)).toMatchObject({ name: req.name, completed: false, projects: [PROJECT] });
    expect(sandbox.task(gid)?.notes).toBe(`Piso 3, desde ayer\n\n${orderMarker(req.orderId)}`);
    const post = sandbox.requests.find((r) => r.method === 'POST');
    expect(post?.path).toBe('/api/1.0/tasks');
    expect(post?.body).toEqual({ data: { name: req.name, notes: taskNotes(req), projects: [PROJECT], completed: false } });
    for (const r of sandbox.requests) expect(r.headers.authorization).toBe('Bearer ***');
    const search = new URL(sandbox.requests[0]?.path ?? '', 'http://x').searchParams;
    expect(search.get('project')).toBe(PROJECT);
    expect(search.get('opt_fields')).toBe('notes');
    expect(Date.parse(search.get('modified_since') ?? '')).toBeLessThan(Date.now());
  });

  it('is idempotent per order: the second call finds the task', async () => {
    const req = input();
    const first = await tracker().ensureTask(req);
    const second = await tracker().ensureTask(req);
    expect(second).toEqual({ gid: first.gid, created: false });
    expect(tasksFor(req.orderId)).toHaveLength(1);
  });

  it('finds a task on a later page of the listing', async () => {
    const { gid, created } = await tracker().ensureTask(input(seededOrder));
    expect(created).toBe(false);
    expect(gid).toBe(String(1_209_000_000_100_140));
    expect(sandbox.requests.filter((r) => r.method === 'GET').length).toBe(2);
  });

  it('a create whose answer is lost is found by the retry, not created twice', async () => {
    const req = input();
    sandbox.loseResponses(1, { match: { method: 'POST' } });
    const result = await tracker().ensureTask(req);
    expect(result.created).toBe(false);
    expect(tasksFor(req.orderId)).toHaveLength(1);
  });

  it('a closed order is created completed; updates send only what changes', async () => {
    const { gid } = await tracker().ensureTask({ ...input(), status: 'CLOSED' });
    expect(sandbox.task(gid)?.completed).toBe(true);
    const open = await tracker().ensureTask(input());
    sandbox.clearRequests();
    await tracker().updateTask(open.gid, { completed: true });
    expect(sandbox.requests[0]).toMatchObject({
      method: 'PUT',
      path: `/api/1.0/tasks/${open.gid}`,
      body: { data: { completed: true } },
    });
    expect(sandbox.task(open.gid)).toMatchObject({ completed: true });
    expect(sandbox.task(open.gid)?.completed_at).not.toBeNull();
    await tracker().updateTask(open.gid, { name: 'Renombrada', notes: 'otra' });
    expect(sandbox.task(open.gid)).toMatchObject({ name: 'Renombrada', notes: 'otra', completed: true });
  });
});

describe('comments', () => {
  const comment = (v: number) => ({
    text: `Estado: TRIAGED → QUOTING (request-quotes, versión ${v})`,
    marker: `[algesta:order:ord_c:v${v}]`,
  });
  const commentsOf = (gid: string) => (sandbox.task(gid)?.stories ?? []).filter((s) => s.type === 'comment');

  it('posts a story ending with its marker line; hasComment finds it, not another marker', async () => {
    const { gid } = await tracker().ensureTask(input());
    sandbox.clearRequests();
    await tracker().addComment(gid, comment(3));
    expect(sandbox.requests[0]).toMatchObject({
      method: 'POST',
      path: `/api/1.0/tasks/${gid}/stories`,
      status: 201,
      body: { data: { text: `${comment(3).text}\n${comment(3).marker}` } },
    });
    expect(sandbox.requests[0]?.headers.authorization).toBe('Bearer ***');
    expect(commentsOf(gid).map((s) => s.text)).toEqual([`${comment(3).text}\n${comment(3).marker}`]);
    expect(await tracker().hasComment(gid, comment(3).marker)).toBe(true);
    expect(await tracker().hasComment(gid, comment(4).marker)).toBe(false);
    // The system story Asana adds at creation is listed too, and never mistaken for a comment.
    expect(sandbox.task(gid)?.stories?.[0]?.type).toBe('system');
  });

  it('Asana keeps a repeated comment twice: the adapter does not deduplicate on its own', async () => {
    const { gid } = await tracker().ensureTask(input());
    await tracker().addComment(gid, comment(5));
    await tracker().addComment(gid, comment(5));
    expect(commentsOf(gid)).toHaveLength(2);
  });

  it('a comment whose answer is lost is found by the retry, not posted twice', async () => {
    const { gid } = await tracker().ensureTask(input());
    sandbox.loseResponses(1, { match: { method: 'POST', path: /\/stories$/ } });
    await tracker().addComment(gid, comment(6));
    expect(commentsOf(gid)).toHaveLength(1);
    expect(sandbox.requests.filter((r) => r.method === 'GET' && r.path.includes('/stories'))).toHaveLength(1);
  });

  it('finds a marker on a later page of the stories', async () => {
    const { gid } = await tracker().ensureTask(input());
    for (let v = 1; v <= 120; v++) await tracker().addComment(gid, comment(v));
    sandbox.clearRequests();
    expect(await tracker().hasComment(gid, comment(120).marker)).toBe(true);
    expect(sandbox.requests).toHaveLength(2);
  });
});

describe('errors', () => {
  it('a wrong PAT is a PartnerRejectedError 401, not retried', async () => {
    const err = await failure(tracker('2/not-the-pat').ensureTask(input()));
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 401, body: { errors: [{ message: 'Not Authorized' }] } });
    expect(String(err)).not.toContain('not-the-pat');
    expect(sandbox.requests).toHaveLength(1);
  });

  it('an unknown task is a PartnerRejectedError 404', async () => {
    expect(await failure(tracker().updateTask('1209999999999999', { completed: true }))).toMatchObject({ status: 404 });
  });

  it('429 with Retry-After is waited out and then succeeds', async () => {
    const { gid } = await tracker().ensureTask(input());
    sandbox.failNext(1, 429, { retryAfterSeconds: 1, body: { errors: [{ message: 'Rate limit' }] } });
    const started = Date.now();
    await tracker().updateTask(gid, { notes: 'después del límite' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(sandbox.task(gid)?.notes).toBe('después del límite');
  });

  it('a partner down beyond the retries is a PartnerUnavailableError, and nothing was created', async () => {
    const req = input();
    sandbox.failNext(10, 500);
    const err = await failure(tracker(PAT, fastPolicy('asana', { retries: 2 })).ensureTask(req));
    expect(err).toBeInstanceOf(PartnerUnavailableError);
    expect(sandbox.requests).toHaveLength(3);
    expect(tasksFor(req.orderId)).toHaveLength(0);
  });
});
