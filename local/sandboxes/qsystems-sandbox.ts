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
 * Qsystems, the client's ticket system (contract in docs/integrations.md), bearer API token:
 * - `PUT /api/v1/tickets/{ticketRef}/status` `{ status, from?, sequence, at, source }` → 200 the ticket;
 *   409 `{ "error": "stale-sequence", "currentSequence" }` when `sequence` is not above the ticket's;
 *   404 `{ "error": "ticket-not-found" }` for a reference it does not know (only when `knownTickets`
 *   is given; otherwise a ticket is opened on its first update); 422 for an invalid body;
 * - `GET /api/v1/tickets/{ticketRef}` → the ticket with its history.
 */
export interface QsystemsSandboxOptions {
  readonly dataDir: string;
  readonly port?: number;
  readonly host?: string;
  readonly apiToken: string;
  readonly knownTickets?: readonly string[];
}

export interface SandboxTicket {
  readonly ticketRef: string;
  status: string;
  sequence: number;
  at: string;
  /** Every update the ticket applied, in the order it applied them (a refused one is in `requests` only). */
  readonly history: { status: string; from?: string | null; sequence: number; at: string }[];
}

export interface QsystemsSandbox extends SandboxControls {
  tickets(): readonly SandboxTicket[];
  ticket(ref: string): SandboxTicket | undefined;
}

const statusBody = z.object({
  status: z.string().min(1),
  from: z.string().min(1).nullable().optional(),
  sequence: z.number().int().positive(),
  at: z.iso.datetime({ offset: true }),
  source: z.string().optional(),
});

const error = (status: number, code: string, extra: Record<string, unknown> = {}): SandboxResponse => ({
  status,
  json: { error: code, ...extra },
});

export async function startQsystemsSandbox(opts: QsystemsSandboxOptions): Promise<QsystemsSandbox> {
  const state = await JsonState.open<{ tickets: SandboxTicket[] }>(opts.dataDir, () => ({ tickets: [] }));
  const find = (ref: string) => state.value.tickets.find((t) => t.ticketRef === ref);

  async function handle(req: SandboxRequest): Promise<SandboxResponse> {
    if (bearer(req.headers) !== opts.apiToken) return error(401, 'unauthorized');
    const m = /^\/api\/v1\/tickets\/([^/]+)(\/status)?$/.exec(req.url.pathname);
    if (!m) return error(404, 'not-found');
    const ref = decodeURIComponent(m[1] ?? '');
    const ticket = find(ref);
    if (!m[2] && req.method === 'GET') return ticket ? { status: 200, json: ticket } : error(404, 'ticket-not-found');
    if (!m[2] || req.method !== 'PUT') return error(405, 'method-not-allowed');

    const parsed = statusBody.safeParse(jsonBody(req));
    if (!parsed.success) return error(422, 'invalid-status', { message: parsed.error.issues[0]?.message });
    const update = { status: parsed.data.status, sequence: parsed.data.sequence, at: parsed.data.at };
    const entry = { ...update, ...(parsed.data.from !== undefined ? { from: parsed.data.from } : {}) };
    if (!ticket) {
      if (opts.knownTickets && !opts.knownTickets.includes(ref)) return error(404, 'ticket-not-found');
      const opened: SandboxTicket = { ticketRef: ref, ...update, history: [entry] };
      state.value.tickets.push(opened);
      await state.save();
      return { status: 200, json: opened };
    }
    if (update.sequence <= ticket.sequence) return error(409, 'stale-sequence', { currentSequence: ticket.sequence });
    Object.assign(ticket, update);
    ticket.history.push(entry);
    await state.save();
    return { status: 200, json: ticket };
  }

  const http = await startHttpSandbox({
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    handle,
  });
  return Object.assign(http, { tickets: () => state.value.tickets, ticket: find });
}
