import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { configSchema, graphqlToggles } from '../src/config';
import { buildPlaygroundAssets, createPlaygroundHandler, type PlaygroundAssets } from '../src/playground';

/** The playground's routes on a local HTTP server; what they do not serve answers 418, so a pass-through shows. */
async function serve(assets: Promise<PlaygroundAssets>): Promise<{ origin: string; close(): Promise<void> }> {
  const playground = createPlaygroundHandler(assets);
  const server = http.createServer((req, res) => {
    if (playground(req, res)) return;
    res.writeHead(418).end('passed through');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the playground (GraphiQL bundled by the gateway)', () => {
  let assets: PlaygroundAssets;
  let site: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    assets = await buildPlaygroundAssets();
    site = await serve(Promise.resolve(assets));
  }, 60_000);
  afterAll(() => site.close());

  it('bundles one script and one stylesheet whose names carry their content hash', () => {
    expect(assets.script).toMatch(/^playground-[A-Z0-9]+\.js$/);
    expect(assets.stylesheet).toMatch(/^playground-[A-Z0-9]+\.css$/);
    const css = assets.files.get(assets.stylesheet)!.body.toString('utf8');
    // GraphiQL's fonts and images travel inside the stylesheet, not from a font CDN.
    expect(css).toContain('graphiql-container');
    expect(css).not.toMatch(/url\(\s*['"]?(https?:)?\/\//);
    expect(css).not.toMatch(/@import/);
  });

  it('serves the page with a same-origin content security policy and no inline script', async () => {
    const response = await fetch(`${site.origin}/playground`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain(`<script type="module" src="playground/assets/${assets.script}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="playground/assets/${assets.stylesheet}">`);
    // Every <script> loads a file; nothing (a token, a setting) is written into the page.
    expect(html.match(/<script[^>]*>[^<]+<\/script>/g)).toBeNull();
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves the assets compressed, cacheable for good, and answers 304 to a known ETag', async () => {
    const url = `${site.origin}/playground/assets/${assets.script}`;
    const plain = await new Promise<http.IncomingMessage & { body: Buffer }>((resolve, reject) =>
      http
        .get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Object.assign(res, { body: Buffer.concat(chunks) })));
        })
        .on('error', reject),
    );
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['cache-control']).toContain('immutable');
    expect(gunzipSync(plain.body).equals(assets.files.get(assets.script)!.body)).toBe(true);

    const again = await fetch(url, { headers: { 'if-none-match': String(plain.headers.etag) } });
    expect(again.status).toBe(304);
    const css = await fetch(`${site.origin}/playground/assets/${assets.stylesheet}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await fetch(`${site.origin}/playground/assets/nope.js`).then((r) => r.status)).toBe(404);
  });

  it('sends a browser opening /graphql to the playground and lets GraphQL clients through', async () => {
    const browser = await fetch(`${site.origin}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(browser.status).toBe(302);
    expect(new URL(browser.headers.get('location') ?? '', `${site.origin}/graphql`).pathname).toBe('/playground');
    // A GET operation, a JSON client, a POST: all reach GraphQL.
    expect((await fetch(`${site.origin}/graphql?query=%7B__typename%7D`, { headers: { accept: 'text/html' } })).status).toBe(418);
    expect((await fetch(`${site.origin}/graphql`, { headers: { accept: 'application/json' } })).status).toBe(418);
    expect((await fetch(`${site.origin}/graphql`, { method: 'POST', headers: { accept: 'text/html' }, body: '{}' })).status).toBe(418);
    expect((await fetch(`${site.origin}/token`, { method: 'POST' })).status).toBe(418);
  });

  it('answers GET only, and redirects other paths under /playground to the page', async () => {
    const post = await fetch(`${site.origin}/playground`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const other = await fetch(`${site.origin}/playground/`, { redirect: 'manual' });
    expect(other.status).toBe(302);
    expect(other.headers.get('location')).toBe('/playground');
  });

  it('answers 503 when the bundle failed to build', async () => {
    const broken = await serve(Promise.reject(new Error('esbuild failed')));
    try {
      const response = await fetch(`${broken.origin}/playground`);
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/could not be built/);
    } finally {
      await broken.close();
    }
  });
});

describe('PLAYGROUND_ENABLED', () => {
  const parse = (env: Record<string, string>) => configSchema.shape.PLAYGROUND_ENABLED.parse(env.PLAYGROUND_ENABLED);

  it('is on in the embedded and local profiles and off in production, unless set', () => {
    const toggles = (profile: string, PLAYGROUND_ENABLED?: string) =>
      graphqlToggles({ CHAT4ALL_PROFILE: profile as 'local', GRAPHQL_INTROSPECTION: undefined, PLAYGROUND_ENABLED: parse(PLAYGROUND_ENABLED === undefined ? {} : { PLAYGROUND_ENABLED }) }).playground;
    expect(toggles('embedded')).toBe(true);
    expect(toggles('local')).toBe(true);
    expect(toggles('production')).toBe(false);
    expect(toggles('production', 'true')).toBe(true);
    expect(toggles('local', 'false')).toBe(false);
    expect(() => parse({ PLAYGROUND_ENABLED: 'yes' })).toThrow();
  });
});
