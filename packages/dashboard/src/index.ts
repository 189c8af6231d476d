/**
 * Baton's dashboard, served by hono: `dashboard()` is a sub-app that serves
 * the page and its two files (built into this module as strings, so any
 * Worker can serve them). The page holds no data: it asks for an API token
 * and calls the `/v1` API with it, which stays behind its bearer auth.
 *
 * @module @baton/dashboard
 */
import { Hono } from 'hono';
import { type Asset, ASSETS } from './assets.ts';

export type { Asset };

export interface DashboardServerOptions {
  /**
   * Where the page calls the API: an origin (the page adds `/v1/...`). The
   * API must allow the page's origin (`corsOrigins`) when it is another.
   * @default the origin that serves the page
   */
  readonly apiBase?: string;
  /** The queues to offer. @default those the API's `/v1/openapi.json` lists */
  readonly queues?: readonly string[];
  /** The page's title and heading. @default 'Baton' */
  readonly title?: string;
  /** How often the page reads a queue's metrics, in ms. @default 2000 */
  readonly pollMs?: number;
}

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&"<>']/g, (c) => ATTRIBUTE_ESCAPES[c]!);

/** Security headers of every answer: no framing, no sniffing, no referrer. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

function originOf(url: string | undefined): string | null {
  if (url === undefined || url === '') return null;
  try {
    return new URL(url).origin;
  } catch {
    throw new Error(`dashboard: \`apiBase\` must be an absolute URL, got ${JSON.stringify(url)}`);
  }
}

/**
 * The page: its settings in the root element's `data-*` attributes, its
 * script and style sheet by relative URL (so it works under any mount
 * path), and nothing inline, so the Content-Security-Policy can forbid
 * inline script and style.
 */
function pageHtml(options: DashboardServerOptions, assets: readonly Asset[]): string {
  const title = escapeHtml(options.title ?? 'Baton');
  const links = [...assets]
    .sort((a, b) => Number(a.name.endsWith('.js')) - Number(b.name.endsWith('.js'))) // the style sheet first
    .map((a) =>
      a.name.endsWith('.css') ? `<link rel="stylesheet" href="./${escapeHtml(a.name)}">` : `<script type="module" src="./${escapeHtml(a.name)}"></script>`,
    )
    .join('\n');
  const data = [
    `data-title="${title}"`,
    `data-api="${escapeHtml(options.apiBase ?? '')}"`,
    options.queues === undefined ? '' : `data-queues="${escapeHtml(JSON.stringify(options.queues))}"`,
    options.pollMs === undefined ? '' : `data-poll-ms="${Math.max(250, Math.round(options.pollMs))}"`,
  ]
    .filter((a) => a !== '')
    .join(' ');
  const body =
    assets.length === 0
      ? '<p>The dashboard is not built: run <code>npm run build</code> (its files are made by the package build).</p>'
      : '<noscript>The dashboard needs JavaScript.</noscript>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
${links}
</head>
<body>
<div id="baton-dashboard" ${data}>${body}</div>
</body>
</html>
`;
}

/**
 * A hono sub-app serving the dashboard: mount it at a path of its own with
 * `app.route(path, dashboard())`, on the app `createApi` returns or any
 * other. `GET <path>` redirects to `<path>/`, which serves the page; its
 * script and style sheet are served beside it, named by a hash of their
 * content and cached for a year. The routes are public (the page holds no
 * data); the API it calls keeps its bearer auth. Every answer forbids
 * framing, and the page's Content-Security-Policy allows only its own files
 * and calls to the API.
 *
 * @example
 * const api = createApi<Env>({ objects: (env) => env.JOBS, tokens: (env) => env.BATON_TOKENS, queues: ['default'] });
 * api.route('/dashboard', dashboard());
 * export default { fetch: api.fetch };
 */
export function dashboard(options: DashboardServerOptions = {}): Hono {
  const apiOrigin = originOf(options.apiBase);
  const html = pageHtml(options, ASSETS);
  const byName = new Map(ASSETS.map((a) => [a.name, a]));
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${apiOrigin === null ? '' : ` ${apiOrigin}`}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  const app = new Hono();
  const servePage = (status: 200 | 503) =>
    new Response(html, {
      status,
      headers: {
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': csp,
        'x-frame-options': 'DENY',
      },
    });
  const page = () => servePage(ASSETS.length === 0 ? 503 : 200);

  app.get('/', (c) => {
    // Mounted at `/dashboard`, the page is `/dashboard/`: its files' relative URLs resolve beside it.
    if (c.req.path.endsWith('/')) return page();
    const url = new URL(c.req.url);
    return c.redirect(`${url.pathname}/${url.search}`, 308);
  });
  app.get('/*', (c) => {
    // Below the mount path: the page (any path ending in `/`), or one of its files, known by its (hashed) name.
    const path = c.req.path;
    if (path.endsWith('/') || path.endsWith('/index.html')) return page();
    const name = path.slice(path.lastIndexOf('/') + 1);
    const asset = byName.get(name);
    if (asset === undefined) {
      return c.json({ error: { code: 'not-found', message: `No dashboard file ${JSON.stringify(name.slice(0, 80))}`, retryable: false } }, 404, COMMON_HEADERS);
    }
    return new Response(asset.body, {
      headers: {
        ...COMMON_HEADERS,
        'content-type': asset.contentType,
        'cache-control': 'public, max-age=31536000, immutable',
      },
    });
  });
  return app;
}
