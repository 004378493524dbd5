/**
 * Ports for test stacks. jest runs test files in parallel workers (`--maxWorkers=2`), and every e2e file starts its
 * own services: each worker gets its own block of 100 ports (JEST_WORKER_ID counts from 1), so two files that run at
 * the same time never collide. Outside jest the first block is used. E2E_PORT_BASE moves every block (two checkouts
 * testing on one machine at once).
 */
export function workerPortBase(first = Number(process.env.E2E_PORT_BASE ?? '14000')): number {
  const id = Number(process.env.JEST_WORKER_ID ?? '1');
  return first + 100 * (Number.isInteger(id) && id > 0 ? id - 1 : 0);
}
