import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { ReadinessCheck } from './readiness';
import { runReadinessChecks } from './readiness';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface OpsHttpOptions {
  metrics: Registry;
  checks: Record<string, ReadinessCheck>;
  /** While true, /readyz answers 503 so load balancers drain the instance before it stops. */
  isDraining: () => boolean;
  checkTimeoutMs?: number;
  /** The service's own routes (GraphQL, webhooks); anything else is a 404. */
  handler?: RequestHandler;
}

/**
 * The request's target as a URL, or null when it is none: Node's HTTP parser lets targets such as `//[` through, and
 * `new URL` throws on them (in a synchronous listener, an uncaught exception that ends the process).
 */
export function requestUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** /healthz (the process answers), /readyz (its dependencies answer), /metrics (Prometheus text). */
export function createOpsServer(options: OpsHttpOptions): http.Server {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  return http.createServer((req, res) => {
    // A keep-alive client that keeps sending (a platform retrying webhooks) would hold a closing server open forever:
    // while draining, every answer ends its connection.
    if (options.isDraining()) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      if (options.isDraining()) return sendJson(res, 503, { status: 'draining', problems: ['shutting down'] });
      void runReadinessChecks(options.checks, timeoutMs).then((report) =>
        sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', problems: report.problems }),
      );
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      void options.metrics.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': options.metrics.contentType });
          res.end(text);
        },
        (error: unknown) => sendJson(res, 500, { error: String(error) }),
      );
      return;
    }
    if (options.handler) return options.handler(req, res);
    sendJson(res, 404, { error: 'not found' });
  });
}

export function listen(server: http.Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting connections and closes idle keep-alive ones; in-flight requests finish. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
