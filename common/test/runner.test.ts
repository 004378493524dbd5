import { z } from 'zod';
import { env, serviceEnv, startServices, ServicesStartError, type ServiceDefinition, type ServiceEntry } from '../src';

const schema = z.object({ ...serviceEnv, PORT: env.port(0), GREETING: env.string('hello') });

/** A service that answers GET / with its GREETING and records its start and stop in `events`. */
function recorder(name: string, events: string[], fail = false): ServiceDefinition<typeof schema> {
  return {
    name,
    configSchema: schema,
    async start({ config, onShutdown }) {
      if (fail) throw new Error(`${name} cannot reach its engine`);
      events.push(`start ${name}`);
      onShutdown('work', () => void events.push(`stop ${name}`));
      return { handler: (_req, res) => res.end(config.GREETING) };
    },
  };
}

const base = { LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' };

describe('startServices: several services in one process', () => {
  test('each gets its own env on top of the shared one, serves on its own port, and they stop in reverse order', async () => {
    const events: string[] = [];
    const entries: ServiceEntry[] = [
      { definition: recorder('first', events), env: { GREETING: 'from first' } },
      { definition: recorder('second', events), env: { GREETING: 'from second' } },
      { definition: recorder('last', events) },
    ];
    const running = await startServices(entries, base);
    const [first, second, last] = running.services;
    expect(await (await fetch(`http://127.0.0.1:${first!.port}/`)).text()).toBe('from first');
    expect(await (await fetch(`http://127.0.0.1:${second!.port}/`)).text()).toBe('from second');
    expect(await (await fetch(`http://127.0.0.1:${last!.port}/`)).text()).toBe('hello');
    expect(new Set([first!.port, second!.port, last!.port]).size).toBe(3);

    expect(await running.stop()).toBe(true);
    expect(events.filter((e) => e.startsWith('stop'))).toEqual(['stop last', 'stop second', 'stop first']);
    // Stopped for real: the ports refuse connections.
    await expect(fetch(`http://127.0.0.1:${first!.port}/`)).rejects.toThrow();
  });

  test('one that fails to start stops the others, and the error names it', async () => {
    const events: string[] = [];
    const attempt = startServices([{ definition: recorder('fine', events) }, { definition: recorder('broken', events, true) }], base);
    await expect(attempt).rejects.toThrow(ServicesStartError);
    await expect(attempt).rejects.toThrow('broken: failed to start: broken cannot reach its engine');
    expect(events).toEqual(['start fine', 'stop fine']);
  });

  test('a bad variable of one service is reported as that service\'s configuration error', async () => {
    const attempt = startServices([{ definition: recorder('picky', []), env: { PORT: 'not-a-port' } }], base);
    await expect(attempt).rejects.toThrow(/^picky: invalid configuration: PORT: /);
  });
});
