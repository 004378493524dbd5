/** One sample of a Prometheus text exposition: `name{label="value",...} number`. */
function parseSample(line: string): { name: string; labels: Record<string, string>; value: number } | null {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
  if (!match) return null;
  const labels: Record<string, string> = {};
  for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
  return { name: match[1]!, labels, value: Number(match[3]) };
}

/** The value of one series (a counter or a gauge) on a service's /metrics (0 when the series has not appeared yet). */
export async function readMetric(origin: string, name: string, labels: Record<string, string>): Promise<number> {
  const response = await fetch(`${origin}/metrics`);
  if (response.status !== 200) throw new Error(`${origin}/metrics answered ${response.status}`);
  const text = await response.text();
  const sample = text
    .split('\n')
    .map(parseSample)
    .find((s) => s !== null && s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? 0;
}
