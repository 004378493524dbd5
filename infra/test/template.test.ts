import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderTemplate, writeFromTemplate } from '../src/template';

describe('renderTemplate', () => {
  it('replaces every placeholder, spaces inside braces allowed', () => {
    expect(renderTemplate('a={{a}} b={{ b }} again={{a}}', { a: 1, b: 'two' })).toBe('a=1 b=two again=1');
  });

  it('names every placeholder that has no value instead of leaving a blank', () => {
    expect(() => renderTemplate('{{port}} {{dir}} {{port}}', {})).toThrow('template needs a value for: port, dir');
  });

  it('leaves text without placeholders alone', () => {
    expect(renderTemplate('${sys:kafka.logs.dir} {single}', {})).toBe('${sys:kafka.logs.dir} {single}');
  });
});

describe('engine templates', () => {
  const out = mkdtempSync(join(tmpdir(), 'infra-templates-'));
  const common = { host: '127.0.0.1', dataDir: '/data/x', logFile: '/logs/x.log' };

  it('Kafka server.properties: KRaft combined mode on the given ports, no auto-created topics, no join delay', () => {
    const file = writeFromTemplate('kafka/server.properties', join(out, 'kafka', 'server.properties'), { ...common, port: 19092, controllerPort: 19093 });
    const props = Object.fromEntries(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'controller.quorum.voters': '1@127.0.0.1:19093',
      listeners: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:19092',
      'log.dirs': '/data/x',
      'auto.create.topics.enable': 'false',
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.replication.factor': '1',
    });
  });

  it('cassandra.yaml is valid YAML with the ports as numbers and the seed on the storage port', () => {
    const file = writeFromTemplate('cassandra/cassandra.yaml', join(out, 'cassandra.yaml'), { ...common, port: 19042, storagePort: 17000 });
    const yaml = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(yaml).toMatchObject({
      native_transport_port: 19042,
      storage_port: 17000,
      listen_address: '127.0.0.1',
      rpc_address: '127.0.0.1',
      commitlog_sync: 'periodic',
      partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
      endpoint_snitch: 'SimpleSnitch',
      seed_provider: [{ class_name: 'org.apache.cassandra.locator.SimpleSeedProvider', parameters: [{ seeds: '127.0.0.1:17000' }] }],
    });
  });

  it('s3proxy.properties: filesystem backend in the data folder, the given credentials and endpoint', () => {
    const file = writeFromTemplate('s3proxy/s3proxy.properties', join(out, 's3proxy.properties'), {
      ...common,
      port: 19000,
      accessKey: 'id',
      secretKey: 'secret',
    });
    const text = readFileSync(file, 'utf8');
    for (const line of ['s3proxy.endpoint=http://127.0.0.1:19000', 's3proxy.identity=id', 's3proxy.credential=secret', 'jclouds.provider=filesystem', 'jclouds.filesystem.basedir=/data/x']) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it.each(['kafka/log4j2.xml', 'cassandra/logback.xml', 's3proxy/logback.xml'])('%s logs to the console (captured into the log file)', (template) => {
    const text = readFileSync(writeFromTemplate(template, join(out, template), common), 'utf8');
    expect(text).toMatch(/Console|ConsoleAppender/);
    expect(text).not.toMatch(/\{\{/);
  });
});
