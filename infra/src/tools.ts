import { spawnSync } from 'node:child_process';

/** Major version from `java -version` output: `openjdk version "17.0.15"` → 17, `"1.8.0_362"` → 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

export class MissingToolError extends Error {}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { missing: result.error !== undefined, ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Throws a one-line MissingToolError unless `java` on PATH is Java 17 or newer. */
export function requireJava17(): void {
  const java = run('java', ['-version']);
  if (java.missing) throw new MissingToolError('missing tool: java (Java 17 or newer must be on PATH)');
  const major = parseJavaMajor(java.output);
  if (major === undefined || major < 17) {
    throw new MissingToolError(`missing tool: Java 17 or newer (java on PATH is ${major ?? 'of unknown version'})`);
  }
}

/** Throws a one-line MissingToolError unless `mvn -v` runs. */
export function requireMaven(): void {
  const mvn = run('mvn', ['-v']);
  if (mvn.missing || !mvn.ok) throw new MissingToolError('missing tool: mvn (Apache Maven must be on PATH)');
}
