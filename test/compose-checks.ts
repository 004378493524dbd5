// Reading docker-compose.yml the way `docker compose` does (YAML merge keys, ${VAR} interpolation)
// and the rules our stack must follow. test/compose.test.ts runs them on the real file and on
// small broken examples, so each rule is shown to catch the mistake it is for.
import { parse } from 'yaml';
import { z } from 'zod';
import type { Env } from '@chat4all/common';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const serviceSchema = z.looseObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.looseObject({ context: z.string().optional(), dockerfile: z.string().optional() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.union([z.record(z.string(), scalar), z.array(z.string())]).optional(),
  healthcheck: z.looseObject({ test: z.union([z.string(), z.array(z.string())]).optional(), disable: z.boolean().optional() }).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }).nullable())])
    .optional(),
  ports: z.array(z.union([z.string(), z.number(), z.looseObject({})])).optional(),
  restart: z.string().optional(),
});

const composeSchema = z.looseObject({ services: z.record(z.string(), serviceSchema) });

export type ComposeService = z.infer<typeof serviceSchema>;
export type ComposeFile = z.infer<typeof composeSchema>;

/**
 * Compose's interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`. A required variable that is missing throws, as compose does.
 */
export function interpolate(text: string, vars: Env): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, colon?: string, operator?: string, argument?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const value = vars[name];
      const missing = value === undefined || (colon === ':' && value === '');
      if (operator === '-') return missing ? (argument ?? '') : (value ?? '');
      if (operator === '?' && missing) throw new Error(`required variable ${name} is missing: ${argument ?? ''}`);
      return value ?? '';
    },
  );
}

function interpolateDeep(value: unknown, vars: Env): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, vars)]));
  }
  return value;
}

/** Parses compose YAML (with `<<` merge keys); with `vars`, interpolates every string value. */
export function parseCompose(text: string, vars?: Env): ComposeFile {
  const raw: unknown = parse(text, { merge: true });
  return composeSchema.parse(vars ? interpolateDeep(raw, vars) : raw);
}

/** A service's environment as strings, from either the mapping or the `KEY=value` list form. */
export function environmentOf(service: ComposeService): Env {
  const env: Env = {};
  if (Array.isArray(service.environment)) {
    for (const entry of service.environment) {
      const at = entry.indexOf('=');
      if (at === -1) env[entry] = undefined;
      else env[entry.slice(0, at)] = entry.slice(at + 1);
    }
  } else {
    for (const [key, value] of Object.entries(service.environment ?? {})) env[key] = value === null ? undefined : String(value);
  }
  return env;
}

/** The services a service depends on, with their condition (undefined for the short list form). */
export function dependenciesOf(service: ComposeService): Record<string, string | undefined> {
  const dependsOn = service.depends_on;
  if (!dependsOn) return {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, options]) => [name, options?.condition]));
}

function hasHealthcheck(service: ComposeService): boolean {
  const test = service.healthcheck?.test;
  return !service.healthcheck?.disable && test !== undefined && test.length > 0 && !(Array.isArray(test) && test[0] === 'NONE');
}

/** One-shot jobs (like migrate) run to completion: no healthcheck, never restarted. */
function isOneShot(service: ComposeService): boolean {
  return service.restart === 'no' && !hasHealthcheck(service);
}

/**
 * Every dependency must exist and name a condition: `service_healthy` on a service with a
 * healthcheck, or `service_completed_successfully` on a one-shot job. Returns the problems found.
 */
export function dependencyProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [target, condition] of Object.entries(dependenciesOf(service))) {
      const dependency = compose.services[target];
      const where = `${name} → ${target}`;
      if (!dependency) problems.push(`${where}: no such service`);
      else if (condition === 'service_healthy') {
        if (!hasHealthcheck(dependency)) problems.push(`${where}: service_healthy, but ${target} has no healthcheck`);
      } else if (condition === 'service_completed_successfully') {
        if (!isOneShot(dependency)) problems.push(`${where}: service_completed_successfully, but ${target} is not a one-shot job (restart "no", no healthcheck)`);
      } else {
        problems.push(`${where}: condition ${condition ?? '(none)'}; use service_healthy or service_completed_successfully`);
      }
    }
  }
  return problems;
}

/** Environment keys the compose file sets that the service's schema does not read (typos, stale names). */
export function unknownEnvKeys(schemaKeys: readonly string[], env: Env): string[] {
  return Object.keys(env).filter((key) => !schemaKeys.includes(key));
}

/** The port a healthcheck probes on 127.0.0.1/localhost at /healthz, or undefined if it probes something else. */
export function healthzPort(service: ComposeService): number | undefined {
  const test = service.healthcheck?.test;
  const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
  const match = /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)\/healthz\b/.exec(text);
  return match?.[1] ? Number(match[1]) : undefined;
}

/** The entry script a service built from our Dockerfile runs: `node --import tsx <script>`. */
export function ourEntryScript(service: ComposeService): string | undefined {
  const buildsOurImage =
    typeof service.build === 'string'
      ? service.build === '.'
      : service.build?.context === '.' && (service.build.dockerfile ?? 'Dockerfile') === 'Dockerfile';
  const command = service.command;
  if (!buildsOurImage || !Array.isArray(command) || command.length !== 4) return undefined;
  const [node, flag, loader, script] = command;
  return node === 'node' && flag === '--import' && loader === 'tsx' ? script : undefined;
}

/** The secret variables a service's environment must take from the caller with `${NAME:?…}` (no default). */
export function secretsWithoutRequiredVariable(rawEnv: Env, secretKeys: readonly string[]): string[] {
  return secretKeys.filter((key) => !new RegExp(`^\\$\\{${key}:\\?[^}]*\\}$`).test(rawEnv[key] ?? ''));
}
