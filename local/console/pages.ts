import type { Role } from '../../shared/domain/access/principal';
import type { DeadLetterEntry } from '../bus/dlq-commands';
import type { SandboxTask } from '../sandboxes/asana-sandbox';
import type { StoredRecord } from '../sandboxes/assets-sandbox';
import type { SandboxEnvelope } from '../sandboxes/docusign-sandbox';
import type { SandboxTicket } from '../sandboxes/qsystems-sandbox';
import { dataTable, html, Html, page } from './html';
import type { Mail, MailSummary } from './mailbox';
import type { ConversationLine } from './whatsapp';

/**
 * The console's views: plain server-rendered HTML, every value escaped by `html`. Forms post to the
 * console and answer with a redirect (303) to a page that says what happened, so they work without
 * JavaScript; console.js only adds the copy buttons.
 */

const when = (iso: string | Date | undefined) => {
  if (!iso) return '';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
};
const time = (iso: string | Date | undefined) =>
  iso ? html`<time datetime="${typeof iso === 'string' ? iso : iso.toISOString()}">${when(iso)}</time>` : '';

const notice = (text: string | undefined, kind: 'ok' | 'error' = 'ok') =>
  text ? html`<p class="notice ${kind}" role="status">${text}</p>` : '';

// ---------------------------------------------------------------------------------------------- home

export interface HomeView {
  readonly tokens: Readonly<Record<Role, string>>;
  readonly apiUrl: string;
  readonly sandboxes?: Readonly<Record<string, string>>;
}

export function homePage(v: HomeView): string {
  const tokens = Object.entries(v.tokens).map(
    ([role, token]) =>
      html`<tr>
        <th scope="row">${role}</th>
        <td>
          <label class="visually-hidden" for="token-${role}">Token of the demo ${role}</label>
          <input class="token" id="token-${role}" type="text" readonly value="${token}" spellcheck="false" />
          <button type="button" class="copy" data-copy="token-${role}" hidden>Copy</button>
        </td>
      </tr>`,
  );
  const sandboxes = Object.entries(v.sandboxes ?? {}).map(([name, url]) => html`<li>${name}: <code>${url}</code></li>`);
  return page({
    title: 'Home',
    current: '/console',
    body: html`<h1>Algesta local console</h1>
      <p>What the local stack's stand-ins for the partners received, and a way to act as them.</p>
      <ul class="cards">
        <li><a href="/console/mailbox">Mailbox</a>: the e-mails the SendGrid stand-in wrote.</li>
        <li><a href="/console/whatsapp">WhatsApp simulator</a>: write as any phone, read the bot's replies.</li>
        <li><a href="/console/docusign">DocuSign</a>: contracts waiting for signature, with a Sign button.</li>
        <li><a href="/console/partners">Asana, Qsystems, assets</a>: what those sandboxes hold.</li>
        <li><a href="/console/dead-letters">Dead letters</a>: messages the workflows gave up on, with replay.</li>
      </ul>
      <h2>API</h2>
      <ul>
        <li><a href="/api/docs">API reference</a> (try it with a token below)</li>
        <li><a href="/api/v1/openapi.json">OpenAPI document</a></li>
        <li>Base URL: <code>${v.apiUrl}/api</code></li>
      </ul>
      ${dataTable({
        caption: html`Development tokens of the demo users (8 hours; send as <code>Authorization: Bearer …</code>)`,
        head: ['Role', 'Token'],
        rows: tokens,
        empty: 'No token: the development issuer is off.',
      })}
      ${
        sandboxes.length
          ? html`<h2>Sandboxes</h2>
              <ul>
                ${sandboxes}
              </ul>`
          : ''
      }`,
  });
}

// ---------------------------------------------------------------------------------------------- mailbox

export function mailboxPage(v: { total: number; mails: readonly MailSummary[]; dir: string }): string {
  const rows = v.mails.map(
    (m) =>
      html`<tr>
        <td>${time(m.writtenAt)}</td>
        <td>${m.to}</td>
        <td><a href="/console/mailbox/${encodeURIComponent(m.id)}">${m.subject}</a></td>
      </tr>`,
  );
  return page({
    title: 'Mailbox',
    current: '/console/mailbox',
    body: html`<h1>Mailbox</h1>
      <p>The <code>.eml</code> files in <code>${v.dir}</code>: what SendGrid would have delivered.</p>
      ${dataTable({
        caption: `E-mails, newest first (${v.mails.length} of ${v.total})`,
        head: ['Written', 'To', 'Subject'],
        rows,
        empty: 'No e-mail yet.',
      })}`,
  });
}

export function mailPage(m: Mail): string {
  // The HTML part is shown in a sandboxed frame (no scripts, no forms, an origin of its own) and
  // under the console's Content-Security-Policy, which a srcdoc frame inherits: no remote images.
  return page({
    title: m.subject,
    current: '/console/mailbox',
    body: html`<p><a href="/console/mailbox">← Mailbox</a></p>
      <h1>${m.subject}</h1>
      <dl class="meta">
        <dt>From</dt>
        <dd>${m.from}</dd>
        <dt>To</dt>
        <dd>${m.to}</dd>
        <dt>Date</dt>
        <dd>${m.date ? time(m.date) : time(m.writtenAt)}</dd>
        <dt>File</dt>
        <dd><code>${m.id}.eml</code></dd>
      </dl>
      <h2>HTML part</h2>
      ${
        m.html !== undefined
          ? html`<iframe class="mail" title="HTML part of the e-mail" sandbox srcdoc="${m.html}"></iframe>`
          : html`<p>No HTML part.</p>`
      }
      <h2>Text part</h2>
      ${m.text !== undefined ? html`<pre class="mail-text">${m.text}</pre>` : html`<p>No text part.</p>`}`,
  });
}

// ---------------------------------------------------------------------------------------------- WhatsApp

export interface WhatsAppView {
  readonly phones: readonly { readonly label: string; readonly phone: string }[];
  readonly others: readonly string[];
  readonly selected?: string;
  readonly conversation: readonly ConversationLine[];
  readonly error?: string;
  readonly enabled: boolean;
  /** The coordinates "Share location" offers. */
  readonly location: { readonly lat: number; readonly lon: number };
}

export function whatsappPage(v: WhatsAppView): string {
  const known = new Set(v.phones.map((p) => p.phone));
  const options = v.phones.map(
    (p) =>
      html`<option value="${p.phone}" ${p.phone === v.selected ? new Html(' selected') : ''}>${p.label} (${p.phone})</option>`,
  );
  const typed = v.selected && !known.has(v.selected) ? v.selected : '';
  const others = v.others
    .filter((p) => !known.has(p))
    .map((p) => html`<li><a href="/console/whatsapp?phone=${encodeURIComponent(p)}">${p}</a></li>`);
  const lines = v.conversation.map((line) =>
    line.direction === 'in'
      ? html`<li class="in">
          <p class="who">
            ${v.selected} ·
            ${time(line.at)}${line.status === 200 ? '' : html` · <strong>webhook answered ${line.status}</strong>`}
          </p>
          <p class="text">${line.text}</p>
        </li>`
      : html`<li class="out">
          <p class="who">Algesta · ${time(line.at)}</p>
          ${
            line.entry.text !== undefined
              ? html`<p class="text">${line.entry.text}</p>`
              : html`<p class="text">
                  Template <code>${line.entry.template?.name}</code> (${line.entry.template?.language}):
                  ${(line.entry.template?.parameters ?? []).join(' · ')}
                </p>`
          }
        </li>`,
  );
  const form = v.enabled
    ? html`<form method="post" action="/console/whatsapp" class="send">
        <fieldset>
          <legend>Write as</legend>
          <p>
            <label for="phone">Seeded phone</label>
            <select id="phone" name="phone">
              <option value="">(another number)</option>
              ${options}
            </select>
          </p>
          <p>
            <label for="other">or another number</label>
            <input
              id="other"
              name="other"
              type="tel"
              inputmode="tel"
              autocomplete="off"
              placeholder="+573001234567"
              value="${typed}"
            />
          </p>
        </fieldset>
        <p><label for="text">Message</label> <textarea id="text" name="text" rows="2" required maxlength="4096"></textarea></p>
        <p><button type="submit">Send</button></p>
        <fieldset>
          <legend>Share a location (a provider checks in or out of its current order)</legend>
          <p>
            <label for="lat">Latitude</label>
            <input id="lat" name="lat" type="number" step="any" min="-90" max="90" value="${String(v.location.lat)}" />
            <label for="lon">Longitude</label>
            <input id="lon" name="lon" type="number" step="any" min="-180" max="180" value="${String(v.location.lon)}" />
          </p>
          <p><button type="submit" name="share" value="location" formnovalidate>Share location</button></p>
        </fieldset>
      </form>`
    : html`<p class="notice error">The simulator needs <code>JELOU_WEBHOOK_SECRET</code>; it is not set.</p>`;
  return page({
    title: 'WhatsApp simulator',
    current: '/console/whatsapp',
    body: html`<h1>WhatsApp simulator</h1>
      <p>
        Messages are posted to <code>/api/webhooks/jelou</code> as Jelou posts them, signed with the webhook secret; the replies
        are what the Jelou stand-in received (<code>outbox.jsonl</code>).
      </p>
      ${notice(v.error, 'error')} ${form}
      ${
        v.selected
          ? html`<h2>Conversation with ${v.selected}</h2>
              <p><a href="/console/whatsapp?phone=${encodeURIComponent(v.selected)}">Refresh</a></p>
              ${
                lines.length
                  ? html`<ol class="chat" aria-label="Messages, oldest first">
                      ${lines}
                    </ol>`
                  : html`<p>No messages yet.</p>`
              }`
          : ''
      }
      ${
        others.length
          ? html`<h2>Other numbers</h2>
              <ul>
                ${others}
              </ul>`
          : ''
      }`,
  });
}

// ---------------------------------------------------------------------------------------------- DocuSign

export function docusignPage(v: {
  envelopes: readonly SandboxEnvelope[];
  signUrl: (id: string) => string;
  message?: string;
  error?: string;
}): string {
  const orderOf = (e: SandboxEnvelope) => e.textCustomFields.find((f) => f.name === 'orderId')?.value ?? '';
  const sorted = [...v.envelopes].sort(
    (a, b) => Number(b.status === 'sent') - Number(a.status === 'sent') || b.createdDateTime.localeCompare(a.createdDateTime),
  );
  const rows = sorted.map(
    (e) =>
      html`<tr>
        <td>${e.emailSubject}</td>
        <td><code>${orderOf(e)}</code></td>
        <td>${e.templateRoles.map((r) => html`<span class="signer">${r.roleName}: ${r.name} &lt;${r.email}&gt;</span> `)}</td>
        <td>${time(e.createdDateTime)}</td>
        <td>${e.status}</td>
        <td>
          ${
            e.status === 'sent'
              ? html`<form method="post" action="/console/docusign/sign">
                  <input type="hidden" name="envelopeId" value="${e.envelopeId}" />
                  <button type="submit" aria-label="Sign ${e.emailSubject}">Sign</button>
                </form>`
              : html`<a href="${v.signUrl(e.envelopeId)}">envelope page</a>`
          }
        </td>
      </tr>`,
  );
  return page({
    title: 'DocuSign',
    current: '/console/docusign',
    body: html`<h1>DocuSign envelopes</h1>
      <p>
        The DocuSign sandbox's envelopes. Signing completes the envelope and sends DocuSign Connect's signed message to
        <code>/api/webhooks/docusign</code>, as the real service does.
      </p>
      ${notice(v.message)}${notice(v.error, 'error')}
      ${dataTable({
        caption: 'Envelopes, waiting for signature first',
        head: ['Subject', 'Order', 'Signers', 'Created', 'Status', 'Action'],
        rows,
        empty: 'No envelope yet: one is created when a client approves an order.',
      })}`,
  });
}

// ---------------------------------------------------------------------------------------------- partners

export function partnersPage(v: {
  tasks: readonly SandboxTask[];
  tickets: readonly SandboxTicket[];
  records: readonly StoredRecord[];
}): string {
  const tasks = v.tasks.map(
    (t) =>
      html`<tr>
        <td><code>${t.gid}</code></td>
        <td>${t.name}</td>
        <td>${t.completed ? 'yes' : 'no'}</td>
        <td>${time(t.modified_at)}</td>
        <td>${(t.stories ?? []).filter((s) => s.type === 'comment').length}</td>
      </tr>`,
  );
  const tickets = v.tickets.map(
    (t) =>
      html`<tr>
        <td><code>${t.ticketRef}</code></td>
        <td>${t.status}</td>
        <td>${t.sequence}</td>
        <td>${time(t.at)}</td>
        <td>${t.history.map((h) => h.status).join(' → ')}</td>
      </tr>`,
  );
  const records = v.records.map(
    (r) =>
      html`<tr>
        <td><code>${r.orderId}</code></td>
        <td>${r.assetCode}</td>
        <td>${r.category}</td>
        <td>${r.summary}</td>
        <td>${time(r.closedAt)}</td>
      </tr>`,
  );
  return page({
    title: 'Asana, Qsystems, assets',
    current: '/console/partners',
    body: html`<h1>Asana, Qsystems and assets</h1>
      <p>What the partners' sandboxes hold (read-only).</p>
      <h2>Asana tasks</h2>
      ${dataTable({ caption: 'Asana tasks', head: ['Gid', 'Name', 'Completed', 'Modified', 'Comments'], rows: tasks, empty: 'No Asana task yet.' })}
      <h2>Qsystems tickets</h2>
      ${dataTable({ caption: 'Qsystems tickets', head: ['Ticket', 'Status', 'Sequence', 'At', 'History'], rows: tickets, empty: 'No Qsystems ticket yet.' })}
      <h2>Maintenance records (assets)</h2>
      ${dataTable({ caption: 'Maintenance records', head: ['Order', 'Asset', 'Category', 'Summary', 'Closed'], rows: records, empty: 'No maintenance record yet.' })}`,
  });
}

export function noSandboxesPage(title: string, current: string): string {
  return page({
    title,
    current,
    body: html`<h1>${title}</h1>
      <p>The partners' sandboxes are not running: real partner endpoints are configured.</p>`,
  });
}

// ---------------------------------------------------------------------------------------------- dead letters

export function deadLettersPage(v: {
  entries: readonly DeadLetterEntry[] | undefined;
  message?: string;
  error?: string;
}): string {
  if (!v.entries)
    return page({
      title: 'Dead letters',
      current: '/console/dead-letters',
      body: html`<h1>Dead letters</h1>
        <p>
          The local bus is not running (<code>SERVICEBUS__fullyQualifiedNamespace</code> is set): use the Service Bus Explorer.
        </p>`,
    });
  const rows = v.entries.map(
    ({ subscription, message: m }) =>
      html`<tr>
        <td>${subscription}</td>
        <td><code>${m.messageId}</code></td>
        <td>${String(m.applicationProperties.type ?? '?')}</td>
        <td>${m.deliveryCount}</td>
        <td>${m.reason}: ${m.description}</td>
        <td>${time(m.enqueuedAt)}</td>
        <td>
          <details>
            <summary>Body</summary>
            <pre>${JSON.stringify(m.body, null, 2)}</pre>
          </details>
        </td>
        <td>
          <form method="post" action="/console/dead-letters/replay">
            <input type="hidden" name="subscription" value="${subscription}" /><input
              type="hidden"
              name="messageId"
              value="${m.messageId}"
            />
            <button type="submit" aria-label="Replay ${m.messageId}">Replay</button>
          </form>
        </td>
      </tr>`,
  );
  return page({
    title: 'Dead letters',
    current: '/console/dead-letters',
    body: html`<h1>Dead letters</h1>
      <p>
        Messages the workflows gave up on. Replaying puts a message back on its subscription with its delivery count (and a
        re-sent copy's retry attempts) reset — what <code>npm run dlq -- replay</code> does.
      </p>
      ${notice(v.message)}${notice(v.error, 'error')}
      ${dataTable({
        caption: 'Dead-lettered messages',
        head: ['Subscription', 'Message', 'Type', 'Deliveries', 'Reason', 'Enqueued', 'Body', 'Action'],
        rows,
        empty: 'No dead-lettered message.',
      })}
      ${
        rows.length
          ? html`<form method="post" action="/console/dead-letters/replay">
              <input type="hidden" name="all" value="1" /><button type="submit">Replay all</button>
            </form>`
          : ''
      }`,
  });
}

export function errorPage(status: number, text: string): string {
  return page({
    title: `${status}`,
    current: '',
    body: html`<h1>${status}</h1>
      <p>${text}</p>`,
  });
}
