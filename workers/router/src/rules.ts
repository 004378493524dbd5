import { z } from 'zod';
import { Channel } from '@chat4all/common';

/**
 * The routing rule table: which channel a message goes to. Rules are tried in order; the first whose `prefix` starts
 * the message's text wins, and the last rule names the channel for everything else (including messages with only a
 * file). The original system's rule is the default: text starting with `@` goes to Instagram, the rest to WhatsApp.
 */
const PrefixRule = z.strictObject({ prefix: z.string().min(1, 'a prefix rule needs a non-empty prefix'), channel: Channel });
const DefaultRule = z.strictObject({ default: Channel });
export type PrefixRule = z.infer<typeof PrefixRule>;
export type DefaultRule = z.infer<typeof DefaultRule>;
export type RoutingRule = PrefixRule | DefaultRule;

export interface RoutingTable {
  prefixes: readonly PrefixRule[];
  fallback: Channel;
}

export const DEFAULT_ROUTING_RULES: readonly RoutingRule[] = [{ prefix: '@', channel: 'INSTAGRAM' }, { default: 'WHATSAPP' }];

/** Thrown for a rule table that cannot be used; the message says what is wrong in words an operator can act on. */
export class RoutingRulesError extends Error {
  override name = 'RoutingRulesError';
}

const EXAMPLE = 'expected e.g. [{"prefix": "@", "channel": "INSTAGRAM"}, {"default": "WHATSAPP"}]';

function fail(problem: string): never {
  throw new RoutingRulesError(`${problem}; ${EXAMPLE}`);
}

/** One rule; an object with a `default` key is read as the default rule, anything else as a prefix rule. */
function parseRule(value: unknown, index: number): RoutingRule {
  const schema = typeof value === 'object' && value !== null && 'default' in value ? DefaultRule : PrefixRule;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? `.${issue.path.map(String).join('.')}` : '';
  return fail(`rule ${index}${field}: ${issue?.message ?? 'invalid'}`);
}

/** Validates a rule table given as JSON (the `ROUTING_RULES` variable). */
export function parseRoutingRules(text: string): RoutingTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(json)) return fail('not a JSON array of rules');
  if (json.length === 0) return fail('no rules: at least the default rule is needed');
  return routingTable(json.map(parseRule));
}

/** The table for validated rules: exactly one default, and it is the last (rules after it could never match). */
export function routingTable(rules: readonly RoutingRule[]): RoutingTable {
  const defaults = rules.filter((r): r is DefaultRule => 'default' in r);
  const last = rules[rules.length - 1];
  if (defaults.length !== 1 || last === undefined || !('default' in last)) {
    return fail('exactly one {"default": CHANNEL} rule is needed, and it must be the last (rules after it could never match)');
  }
  return { prefixes: rules.filter((r): r is PrefixRule => 'prefix' in r), fallback: last.default };
}

/** The channel for a message: the first matching prefix rule's, else the default. */
export function chooseChannel(table: RoutingTable, message: { content?: string | undefined }): Channel {
  const content = message.content;
  if (content !== undefined) {
    for (const rule of table.prefixes) if (content.startsWith(rule.prefix)) return rule.channel;
  }
  return table.fallback;
}
