import { join } from 'node:path';
import { enginePaths, loadSettings, parseHostPort, repoRoot } from '../src/settings';

describe('parseHostPort', () => {
  it('reads host and port, with a default port', () => {
    expect(parseHostPort('127.0.0.1:19092', 9092)).toEqual({ host: '127.0.0.1', port: 19092 });
    expect(parseHostPort('kafka', 9092)).toEqual({ host: 'kafka', port: 9092 });
    expect(parseHostPort('[::1]:9042', 1)).toEqual({ host: '::1', port: 9042 });
  });
});

describe('loadSettings', () => {
  it('defaults to the shared engine addresses and <repo>/.local', () => {
    const s = loadSettings({});
    expect(s.localDir).toBe(join(repoRoot, '.local'));
    expect([s.kafka.port, s.kafka.controllerPort, s.cassandra.port, s.cassandra.storagePort, s.s3.port, s.postgres.port]).toEqual([
      9092, 9093, 9042, 7000, 9000, 5432,
    ]);
    expect(s.postgres.database).toBe('chat4all');
    expect(s.kafka.heap).toEqual(['-Xms256m', '-Xmx512m']);
    expect(s.cassandra.timerSlackNs).toBe(250_000);
  });

  it('takes the Cassandra JVM timer slack from CASSANDRA_TIMER_SLACK_NS (0: the system default)', () => {
    expect(loadSettings({ CASSANDRA_TIMER_SLACK_NS: '1000000' }).cassandra.timerSlackNs).toBe(1_000_000);
    expect(loadSettings({ CASSANDRA_TIMER_SLACK_NS: '0' }).cassandra.timerSlackNs).toBe(0);
    expect(() => loadSettings({ CASSANDRA_TIMER_SLACK_NS: '-1' })).toThrow(/CASSANDRA_TIMER_SLACK_NS/);
  });

  it('moves each engine with the services’ own variables', () => {
    const s = loadSettings({
      CHAT4ALL_LOCAL_DIR: '/tmp/elsewhere',
      KAFKA_BROKERS: '127.0.0.1:19092,127.0.0.1:29092',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:19042',
      S3_ENDPOINT: 'http://127.0.0.1:19000',
      DATABASE_URL: 'postgresql://app@127.0.0.1:15432/appdb',
      KAFKA_CONTROLLER_PORT: '19093',
    });
    expect(s.localDir).toBe('/tmp/elsewhere');
    expect(s.kafka).toMatchObject({ host: '127.0.0.1', port: 19092, controllerPort: 19093 });
    expect(s.cassandra.port).toBe(19042);
    expect(s.s3.port).toBe(19000);
    expect(s.postgres).toMatchObject({ port: 15432, database: 'appdb' });
  });

  it('rejects a bad port with the variable name', () => {
    expect(() => loadSettings({ KAFKA_CONTROLLER_PORT: 'ninety' })).toThrow(/KAFKA_CONTROLLER_PORT/);
  });
});

describe('enginePaths', () => {
  it('keeps jars, config, data, logs and pid files apart under the local folder', () => {
    expect(enginePaths('/l', 'kafka')).toEqual({
      lib: '/l/engines/kafka/lib',
      engineDir: '/l/engines/kafka',
      config: '/l/config/kafka',
      data: '/l/data/kafka',
      logFile: '/l/logs/kafka.log',
      pidFile: '/l/run/kafka.pid',
    });
  });
});
