import type http from 'node:http';
import { requestUrl } from '@chat4all/common';
import type { PlaygroundAsset, PlaygroundAssets } from './assets';

/** Where the playground page is served (a browser opening `/graphql` is sent here too). */
export const PLAYGROUND_PATH = '/playground';
const ASSETS_PREFIX = `${PLAYGROUND_PATH}/assets/`;

/**
 * Only the gateway's own origin: scripts and styles from the bundle, requests and the graphql-ws socket to the gateway
 * ('self' covers ws: to the same host). Inline styles stay allowed: GraphiQL's editors and menus set style attributes.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Relative URLs (from `/playground` they resolve under `/playground/assets/`), so the page also works behind a path prefix. */
function page(assets: PlaygroundAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat4All playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="playground/assets/${assets.stylesheet}">
<script type="module" src="playground/assets/${assets.script}"></script>
</head>
<body>
<div id="playground"></div>
<noscript>The Chat4All playground needs JavaScript.</noscript>
</body>
</html>
`;
}

function pathOf(req: http.IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

/** A browser navigating to `/graphql` (an HTML page asked for, no operation in the URL), not a GraphQL client. */
function isBrowserVisit(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET') return false;
  const accept = req.headers.accept ?? '';
  if (!accept.includes('text/html')) return false;
  const query = requestUrl(req)?.searchParams;
  return query !== undefined && !query.has('query') && !query.has('extensions');
}

function plain(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, asset: PlaygroundAsset): void {
  const headers: Record<string, string> = {
    'content-type': asset.contentType,
    etag: asset.etag,
    // File names carry their content hash.
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    return void res.end();
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzipped : asset.body;
  res.writeHead(200, { ...headers, ...(gzip && { 'content-encoding': 'gzip' }), 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The playground's routes: `GET /playground` (the page), `GET /playground/assets/<file>` (the bundle), and a browser's
 * `GET /graphql` redirected to the page. Returns false for any other request, which the caller then serves.
 * `assets` is the bundle being built; requests wait for it, and get a 503 when it failed to build.
 */
export function createPlaygroundHandler(assets: Promise<PlaygroundAssets>): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  // Marked handled here; a request that comes while it is pending waits on `assets` below.
  assets.catch(() => undefined);
  const withAssets = (res: http.ServerResponse, serve: (built: PlaygroundAssets) => void) =>
    assets.then(serve, () => plain(res, 503, 'the playground could not be built; the gateway log says why'));

  return (req, res) => {
    const path = pathOf(req);
    if (path === '/graphql') {
      if (!isBrowserVisit(req)) return false;
      plain(res, 302, `see ${PLAYGROUND_PATH}\n`, { location: 'playground' });
      return true;
    }
    if (path !== PLAYGROUND_PATH && !path.startsWith(`${PLAYGROUND_PATH}/`)) return false;
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'the playground answers GET only\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === PLAYGROUND_PATH) {
      void withAssets(res, (built) => {
        const html = page(built);
        res.writeHead(200, { ...PAGE_HEADERS, 'content-length': String(Buffer.byteLength(html)) });
        res.end(req.method === 'HEAD' ? undefined : html);
      });
      return true;
    }
    if (path.startsWith(ASSETS_PREFIX)) {
      const name = path.slice(ASSETS_PREFIX.length);
      void withAssets(res, (built) => {
        const asset = built.files.get(name);
        if (asset) sendAsset(req, res, asset);
        else plain(res, 404, 'no such playground file\n');
      });
      return true;
    }
    plain(res, 302, `see ${PLAYGROUND_PATH}\n`, { location: PLAYGROUND_PATH });
    return true;
  };
}
