import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page, type WebSocket } from 'playwright-core';

/** Debian's `chromium` package (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium through playwright-core. A missing browser fails the test (it is never skipped). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`browser test: no Chromium at ${CHROMIUM_PATH}; install it with \`apt-get install -y chromium\` (as .ci/run does) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
}

/** Every URL the pages of a context ask for (documents, scripts, fetches, WebSockets), to check where they went. */
export interface TrafficLog {
  urls: string[];
  /** Console errors and uncaught exceptions of the pages (a CSP violation shows here). */
  errors: string[];
}

export function recordTraffic(context: BrowserContext): TrafficLog {
  const log: TrafficLog = { urls: [], errors: [] };
  context.on('request', (request) => log.urls.push(request.url()));
  const watch = (page: Page) => {
    page.on('websocket', (socket) => log.urls.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') log.errors.push(message.text());
    });
    page.on('pageerror', (error) => log.errors.push(String(error)));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return log;
}

/** The graphql-ws messages a page's sockets sent and received, parsed. */
export interface SocketFrames {
  sent: Record<string, unknown>[];
  received: Record<string, unknown>[];
}

export function recordSocketFrames(page: Page): SocketFrames {
  const frames: SocketFrames = { sent: [], received: [] };
  const parse = (payload: string | Buffer) => JSON.parse(payload.toString()) as Record<string, unknown>;
  page.on('websocket', (socket: WebSocket) => {
    socket.on('framesent', ({ payload }) => frames.sent.push(parse(payload)));
    socket.on('framereceived', ({ payload }) => frames.received.push(parse(payload)));
  });
  return frames;
}
