/**
 * A readiness check answers with the names of what is not ready (empty = ready).
 * Checks run on every /readyz call, each with a time limit, so a hung engine reads as "not ready", never as a hung probe.
 */
export type ReadinessCheck = () => Promise<string[]>;

export interface ReadinessReport {
  ready: boolean;
  problems: string[];
}

export async function runReadinessChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string[]>((resolve) => {
        timer = setTimeout(() => resolve([`${name}: no answer within ${timeoutMs} ms`]), timeoutMs);
      });
      try {
        const problems = await Promise.race([check(), timeout]);
        return problems.map((p) => (p.startsWith(`${name}:`) ? p : `${name}: ${p}`));
      } catch (error) {
        return [`${name}: ${error instanceof Error ? error.message : String(error)}`];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const problems = results.flat();
  return { ready: problems.length === 0, problems };
}
