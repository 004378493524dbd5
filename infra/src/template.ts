import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type TemplateVars = Record<string, string | number>;

const placeholder = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

/**
 * Replaces every `{{name}}` with its value. A placeholder without a value is an error rather
 * than an empty string: a config with a blank port or directory fails far from its cause.
 */
export function renderTemplate(text: string, vars: TemplateVars): string {
  const missing = new Set<string>();
  const out = text.replace(placeholder, (_match, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return String(value);
  });
  if (missing.size > 0) throw new Error(`template needs a value for: ${[...missing].join(', ')}`);
  return out;
}

/** The templates live beside the code, under infra/templates/<engine>/. */
export const templatesDir = join(__dirname, '..', 'templates');

/** Renders infra/templates/<relative> into `target` (creating its folder) and returns `target`. */
export function writeFromTemplate(relative: string, target: string, vars: TemplateVars): string {
  const text = readFileSync(join(templatesDir, relative), 'utf8');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, renderTemplate(text, vars));
  return target;
}
