import fs from 'node:fs';
import net from 'node:net';
import { createMetricsRegistry, WHOLE_PROCESS_WALKS } from '../src/service/metrics';
import { metricValue } from './support/processes';

describe('a service metrics registry', () => {
  it("keeps Node's default metrics but none that walks every handle or descriptor on the event loop", async () => {
    const text = await createMetricsRegistry('probe').metrics();
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'process_open_fds']) {
      expect(text).toContain(`# TYPE ${name} gauge`);
    }
    for (const name of WHOLE_PROCESS_WALKS.filter((n) => n !== 'process_open_fds')) expect(text).not.toContain(`# TYPE ${name} `);
  });

  it('counts open descriptors with a directory read off the event loop: no synchronous readdir, no handle walk', async () => {
    const registry = createMetricsRegistry('probe');
    let accepted = 0;
    const server = net.createServer(() => void (accepted += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const before = metricValue(await registry.metrics(), 'process_open_fds');
    const sockets = await Promise.all(Array.from({ length: 100 }, () => new Promise<net.Socket>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    })));
    while (accepted < sockets.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const readdirSync = jest.spyOn(fs, 'readdirSync');
    const handles = jest.spyOn(process, 'getActiveResourcesInfo');
    try {
      const during = metricValue(await registry.metrics(), 'process_open_fds');
      // 100 client sockets and the 100 the server accepted.
      expect(during - before).toBeGreaterThanOrEqual(200);
      expect(readdirSync).not.toHaveBeenCalled();
      expect(handles).not.toHaveBeenCalled();
    } finally {
      readdirSync.mockRestore();
      handles.mockRestore();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
