import { performance } from 'node:perf_hooks';
import { processRoundTripUs } from '../src/round-trip';

describe('processRoundTripUs', () => {
  it('measures a round trip between two processes: positive, and within the time the probe took', () => {
    const started = performance.now();
    const us = processRoundTripUs();
    const elapsedUs = (performance.now() - started) * 1000;
    expect(us).toBeGreaterThan(0);
    // 3,500 round trips happened inside the probe, so one cannot have taken more than a 3,500th of its time.
    expect(us!).toBeLessThan(elapsedUs / 3500);
  });

  it('answers undefined when the probe cannot finish in time, rather than a number', () => {
    expect(processRoundTripUs(1)).toBeUndefined();
  });
});
