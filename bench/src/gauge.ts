import { readMetric } from '../../test/e2e/support/metrics';

/**
 * The highest value one gauge of a service's /metrics reached while sampled (every `everyMs`): what a process held at
 * its worst during a phase, by its own count, where its RSS alone cannot say what the memory held.
 */
export class GaugePeak {
  private peak = 0;
  private scrapes = 0;
  private failures = 0;
  private lastError: unknown;
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly origin: string,
    private readonly name: string,
    everyMs = 250,
  ) {
    this.timer = setInterval(() => {
      // One scrape at a time: a server too busy to answer within the interval is not asked twice.
      this.inFlight ??= this.scrape().finally(() => (this.inFlight = undefined));
    }, everyMs);
  }

  private async scrape(): Promise<void> {
    try {
      this.peak = Math.max(this.peak, await readMetric(this.origin, this.name, {}));
      this.scrapes++;
    } catch (error) {
      this.failures++;
      this.lastError = error;
    }
  }

  /** Ends the sampling: the peak, after one last scrape. A gauge never read is an error, not a zero. */
  async stop(): Promise<{ peak: number; scrapes: number; failures: number }> {
    clearInterval(this.timer);
    await this.inFlight;
    await this.scrape();
    if (this.scrapes === 0) throw new Error(`${this.origin}/metrics: ${this.name} was never read: ${String(this.lastError)}`);
    return { peak: this.peak, scrapes: this.scrapes, failures: this.failures };
  }
}
