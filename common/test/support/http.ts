import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { RequestHandler } from '../../src/service/http';

/** Serves `handler` on 127.0.0.1 at a free port. */
export async function serve(handler: RequestHandler): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The value of one counter series in a registry (0 when absent). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

/**
 * Sends `head` (a request line and headers, as written) over a plain TCP connection and resolves the answer's status
 * code, or 'closed' when the server ends the connection without one. For targets no HTTP client would send.
 */
export function rawRequest(url: string, head: string): Promise<number | 'closed'> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(`${head}\r\n\r\n`));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('close', () => resolve('closed'));
    socket.on('error', reject);
  });
}
