import { ConfigError } from '@chat4all/common';
import { loadServiceConfig } from '../src/config';
import { DEFAULT_ROUTING_RULES, RoutingRulesError, chooseChannel, parseRoutingRules, routingTable } from '../src/rules';

describe('routing rules', () => {
  const original = routingTable(DEFAULT_ROUTING_RULES);

  test('the default table is the original system rule: "@" to Instagram, anything else to WhatsApp', () => {
    expect(chooseChannel(original, { content: '@alice hi' })).toBe('INSTAGRAM');
    expect(chooseChannel(original, { content: 'hi @alice' })).toBe('WHATSAPP');
    expect(chooseChannel(original, { content: '' })).toBe('WHATSAPP');
    expect(chooseChannel(original, {})).toBe('WHATSAPP'); // a file without text
  });

  test('rules are tried in order and the first matching prefix wins', () => {
    const table = parseRoutingRules(
      JSON.stringify([{ prefix: '@wa:', channel: 'WHATSAPP' }, { prefix: '@', channel: 'INSTAGRAM' }, { default: 'INSTAGRAM' }]),
    );
    expect(chooseChannel(table, { content: '@wa: hello' })).toBe('WHATSAPP');
    expect(chooseChannel(table, { content: '@ig hello' })).toBe('INSTAGRAM');
    expect(chooseChannel(table, { content: 'plain' })).toBe('INSTAGRAM');
  });

  test('a table with only the default sends everything there', () => {
    const table = parseRoutingRules('[{"default":"INSTAGRAM"}]');
    expect(table).toEqual({ prefixes: [], fallback: 'INSTAGRAM' });
    expect(chooseChannel(table, { content: '@x' })).toBe('INSTAGRAM');
  });

  test.each([
    ['not JSON', '[{"prefix":', /not JSON/],
    ['not an array', '{"default":"WHATSAPP"}', /not a JSON array/],
    ['empty', '[]', /no rules: at least the default rule/],
    ['without a default', '[{"prefix":"@","channel":"INSTAGRAM"}]', /exactly one \{"default": CHANNEL\} rule/],
    ['two defaults', '[{"default":"WHATSAPP"},{"default":"INSTAGRAM"}]', /exactly one/],
    ['default not last', '[{"default":"WHATSAPP"},{"prefix":"@","channel":"INSTAGRAM"}]', /must be the last/],
    ['an unknown channel', '[{"prefix":"@","channel":"TELEGRAM"},{"default":"WHATSAPP"}]', /rule 0\.channel: /],
    ['an empty prefix', '[{"prefix":"","channel":"INSTAGRAM"},{"default":"WHATSAPP"}]', /rule 0\.prefix: a prefix rule needs a non-empty prefix/],
    ['an unknown key', '[{"prefix":"@","channel":"INSTAGRAM","weight":2},{"default":"WHATSAPP"}]', /rule 0: .*weight/],
  ])('refuses a table (%s), saying why', (_what, text, message) => {
    expect(() => parseRoutingRules(text)).toThrow(RoutingRulesError);
    expect(() => parseRoutingRules(text)).toThrow(message);
  });
});

describe('router config', () => {
  test('defaults: the original rules, retries until success, its own port', () => {
    const config = loadServiceConfig({});
    expect(config.ROUTING_RULES).toEqual({ prefixes: [{ prefix: '@', channel: 'INSTAGRAM' }], fallback: 'WHATSAPP' });
    expect(config.WORKER_MAX_ATTEMPTS).toBe(0);
    expect(config.PORT).toBe(4010);
    expect(config.KAFKA_TOPIC_PREFIX).toBe('');
  });

  test('ROUTING_RULES from the environment is parsed at load', () => {
    const config = loadServiceConfig({ ROUTING_RULES: '[{"prefix":"#","channel":"WHATSAPP"},{"default":"INSTAGRAM"}]' });
    expect(chooseChannel(config.ROUTING_RULES, { content: '#tag' })).toBe('WHATSAPP');
    expect(chooseChannel(config.ROUTING_RULES, { content: 'x' })).toBe('INSTAGRAM');
  });

  test('a bad ROUTING_RULES is a ConfigError naming the variable, the problem and the value', () => {
    const load = () => loadServiceConfig({ ROUTING_RULES: '[{"prefix":"@","channel":"SMS"},{"default":"WHATSAPP"}]' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^invalid configuration: ROUTING_RULES: rule 0\.channel: .*\(got "\[\{"prefix":"@","channel":"SMS"\}/);
  });

  test('a bad topic prefix is a ConfigError naming KAFKA_TOPIC_PREFIX', () => {
    expect(() => loadServiceConfig({ KAFKA_TOPIC_PREFIX: 'has space' })).toThrow(/KAFKA_TOPIC_PREFIX/);
  });
});
