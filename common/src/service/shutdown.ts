import type { Logger } from '../logging';

export type ShutdownStep = { name: string; run: () => Promise<void> | void };

/**
 * Runs shutdown steps in reverse order of registration (last started, first stopped: stop taking work,
 * then let consumers finish and commit, then close connections). Each step is awaited; the whole sequence
 * is bounded by `timeoutMs` so a stuck connection cannot keep a pod from terminating.
 */
export class ShutdownSequence {
  private readonly steps: ShutdownStep[] = [];
  private running: Promise<boolean> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  add(name: string, run: ShutdownStep['run']): void {
    this.steps.push({ name, run });
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Resolves true when every step finished in time. Calling it again returns the same run. */
  run(reason: string): Promise<boolean> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  private async execute(reason: string): Promise<boolean> {
    this.log.info({ reason }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs);
      timer.unref();
    });
    let current: string | undefined;
    const all = (async () => {
      let clean = true;
      for (const step of [...this.steps].reverse()) {
        current = step.name;
        try {
          await step.run();
        } catch (error) {
          clean = false;
          this.log.error({ err: error, step: step.name }, 'shutdown step failed');
        }
      }
      current = undefined;
      return clean;
    })();
    const finished = await Promise.race([all, deadline]);
    clearTimeout(timer);
    // Naming the step still running is what tells a slow drain from a stuck one.
    if (!finished) this.log.error({ timeoutMs: this.timeoutMs, step: current }, 'shutdown did not finish in time');
    return finished;
  }
}
