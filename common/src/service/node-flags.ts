/**
 * V8 flags every service process of ours runs with. `npm start` (package.json) and the image (the Dockerfile's
 * NODE_OPTIONS) spell them out, and test/node-flags.test.ts keeps both equal to this; `npm run start:local` and the e2e
 * and benchmark stacks launch services with serviceNodeOptions.
 *
 * `--max-semi-space-size=32` (MiB; V8's own cap on 64-bit is 16): every request allocates many short-lived objects
 * (parsed subgraph answers, result shaping, JSON). A larger young generation lets more of them die before a scavenge
 * instead of being copied and promoted. Gateway benchmark, two runs without and two with, CPU ms per page: gateway
 * 3.05, 2.61 → 2.32, 2.33; messages subgraph 1.92, 1.75 → 1.47, 1.55; all processes 8.6, 7.3 → 6.5, 6.7. The cost:
 * each process's young generation may grow to 64 MiB (twice the cap) instead of 32.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/**
 * NODE_OPTIONS for a service process launched by one of our scripts: ours first, then the caller's own, so that an
 * operator's value for the same flag wins (V8 keeps the last one given).
 */
export function serviceNodeOptions(callerNodeOptions: string | undefined): string {
  const own = callerNodeOptions?.trim();
  return own ? `${SERVICE_NODE_FLAGS.join(' ')} ${own}` : SERVICE_NODE_FLAGS.join(' ');
}
