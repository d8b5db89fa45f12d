/**
 * HTML for the local console: a tagged template that escapes every value it is given, so a page
 * cannot forget to. What the console shows is user data (order titles, WhatsApp texts, e-mail
 * bodies), and none of it may become markup. Only another `html` fragment passes through as is.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or as a (double- or single-quoted) attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** Values are escaped; arrays are joined; `undefined`, `null` and `false` render nothing. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * A data table of the console: a caption (screen readers announce it), column headers with their
 * scope, one row per item; `empty` instead when there is no row.
 */
export function dataTable(opts: { caption: unknown; head: readonly string[]; rows: readonly Html[]; empty: string }): Html {
  if (!opts.rows.length) return html`<p>${opts.empty}</p>`;
  return html`<table>
    <caption>
      ${opts.caption}
    </caption>
    <thead>
      <tr>
        ${opts.head.map((h) => html`<th scope="col">${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${opts.rows}
    </tbody>
  </table>`;
}

export interface NavItem {
  readonly href: string;
  readonly label: string;
}

export const NAV: readonly NavItem[] = [
  { href: '/console', label: 'Home' },
  { href: '/console/mailbox', label: 'Mailbox' },
  { href: '/console/whatsapp', label: 'WhatsApp' },
  { href: '/console/docusign', label: 'DocuSign' },
  { href: '/console/partners', label: 'Asana, Qsystems, assets' },
  { href: '/console/dead-letters', label: 'Dead letters' },
];

/** The page around a console view: skip link, navigation (current page marked), one `main`. */
export function page(opts: { title: string; current: string; body: Html }): string {
  const nav = NAV.map(
    (item) =>
      html`<li>
        <a href="${item.href}" ${item.href === opts.current ? new Html(' aria-current="page"') : ''}>${item.label}</a>
      </li>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${opts.title} · Algesta local console</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/console/console.css" />
        <script src="/console/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <p class="brand"><a href="/console">Algesta local console</a></p>
          <nav aria-label="Console">
            <ul>
              ${nav}
            </ul>
          </nav>
        </header>
        <main id="main">${opts.body}</main>
        <footer>
          <p>
            Local tooling: no authentication, served by the local host only, and it answers only requests addressed to this
            machine (localhost).
          </p>
        </footer>
      </body>
    </html> `.value;
}
