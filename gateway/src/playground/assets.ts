import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { build } from 'esbuild';

/** The browser code of the playground (GraphiQL, React, graphql-ws and our login bar), bundled from gateway/playground/. */
export const PLAYGROUND_SOURCE_DIR = path.resolve(__dirname, '../../playground');

export interface PlaygroundAsset {
  contentType: string;
  body: Buffer;
  /** The same bytes gzip-compressed, for clients that accept it. */
  gzipped: Buffer;
  etag: string;
}

export interface PlaygroundAssets {
  /** By file name (content-hashed, so they can be cached for good), e.g. `playground-3FJ2K.js`. */
  files: ReadonlyMap<string, PlaygroundAsset>;
  script: string;
  stylesheet: string;
  buildMs: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const compress = promisify(gzip);

/**
 * Bundles the playground in memory with esbuild: one script and one stylesheet, with every dependency (fonts and
 * images are data: URLs inside GraphiQL's CSS), so the page loads nothing from outside the gateway.
 * Built at start rather than committed, so the bundle always matches the installed packages.
 */
export async function buildPlaygroundAssets(sourceDir: string = PLAYGROUND_SOURCE_DIR): Promise<PlaygroundAssets> {
  const started = Date.now();
  const result = await build({
    absWorkingDir: sourceDir,
    entryPoints: { playground: path.join(sourceDir, 'main.tsx') },
    tsconfig: path.join(sourceDir, 'tsconfig.json'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    entryNames: '[name]-[hash]',
    // Nothing is written: the files are served from memory.
    outdir: path.join(sourceDir, 'out'),
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, PlaygroundAsset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (!contentType) continue;
    const body = Buffer.from(file.contents);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name, { contentType, body, gzipped: await compress(body), etag });
  }
  const script = [...files.keys()].find((name) => name.endsWith('.js'));
  const stylesheet = [...files.keys()].find((name) => name.endsWith('.css'));
  if (!script || !stylesheet) throw new Error(`the playground bundle lacks a script or a stylesheet: ${[...files.keys()].join(', ')}`);
  return { files, script, stylesheet, buildMs: Date.now() - started };
}
