import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchJars, isFetched, stampName, type CommandRunner } from '../src/maven';

describe('stampName', () => {
  it('is stable for the same POM and changes with it', () => {
    expect(stampName('<project>a</project>')).toBe(stampName('<project>a</project>'));
    expect(stampName('<project>a</project>')).not.toBe(stampName('<project>b</project>'));
    expect(stampName('x')).toMatch(/^\.fetched-[0-9a-f]{16}$/);
  });
});

describe('fetchJars', () => {
  function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'infra-fetch-'));
    const pom = join(dir, 'pom.xml');
    writeFileSync(pom, '<project>v1</project>');
    const target = { pom, engineDir: join(dir, 'engine') };
    const calls: string[][] = [];
    // Stands in for Maven: records its arguments and copies one jar named after the POM version.
    const runner: CommandRunner = async (command, args) => {
      calls.push([command, ...args]);
      const out = args.find((a) => a.startsWith('-DoutputDirectory='))!.slice('-DoutputDirectory='.length);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `engine-${calls.length}.jar`), '');
    };
    return { dir, pom, target, calls, runner };
  }

  it('runs Maven once, then skips while the POM is unchanged', async () => {
    const { target, calls, runner, pom } = setup();
    expect(isFetched(target)).toBe(false);
    await expect(fetchJars(target, runner)).resolves.toBe(true);
    expect(calls).toEqual([['mvn', '-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${join(target.engineDir, 'lib')}`]]);
    expect(isFetched(target)).toBe(true);
    await expect(fetchJars(target, runner)).resolves.toBe(false);
    expect(calls).toHaveLength(1);
  });

  it('fetches again when the POM changes, dropping the old jars and stamp', async () => {
    const { target, calls, runner, pom } = setup();
    await fetchJars(target, runner);
    writeFileSync(pom, '<project>v2</project>');
    expect(isFetched(target)).toBe(false);
    await expect(fetchJars(target, runner)).resolves.toBe(true);
    expect(calls).toHaveLength(2);
    expect(readdirSync(join(target.engineDir, 'lib'))).toEqual(['engine-2.jar']);
    expect(readdirSync(target.engineDir).filter((f) => f.startsWith('.fetched-'))).toEqual([stampName('<project>v2</project>')]);
  });

  it('fetches again when the stamp exists but lib/ was removed', async () => {
    const { target, calls, runner } = setup();
    await fetchJars(target, runner);
    rmSync(join(target.engineDir, 'lib'), { recursive: true });
    expect(isFetched(target)).toBe(false);
    await expect(fetchJars(target, runner)).resolves.toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('writes no stamp when Maven fails, so the next fetch tries again', async () => {
    const { target } = setup();
    const failing: CommandRunner = async () => {
      throw new Error('mvn exited with 1');
    };
    await expect(fetchJars(target, failing)).rejects.toThrow('mvn exited with 1');
    expect(existsSync(target.engineDir) && readdirSync(target.engineDir).some((f) => f.startsWith('.fetched-'))).toBe(false);
  });
});
