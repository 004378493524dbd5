import { spawnSync } from 'node:child_process';

/**
 * How long one process takes to hear back from another on this machine: a one-byte message over loopback TCP and its
 * echo, between two Node processes taking turns. Every hop of the pipeline (gateway → subgraph → Kafka → router → …)
 * pays this wake-up of another process at least once, and what it costs differs a lot between machines of the same
 * size: on the 2026-12-07 EPYC VM (a guest whose system calls and address-space switches are slow: getppid 1.2 µs, a
 * pipe round trip in C 25 µs) it was ~60 µs, and the pipeline kept up with a fifth of the rate it kept up with on the
 * Xeon VM before it. Recorded with every result, so runs on different machines can be told apart.
 */

/** Round trips before timing (JIT, TCP slow start), then timed ones, in batches; the median batch is reported. */
const WARM_UP = 500;
const PER_BATCH = 1000;
const BATCHES = 3;

// Plain JavaScript for `node -e`: the probe must not pay a TypeScript loader's start-up, nor run in this process,
// whose event loop spawnSync blocks. The client prints each batch's mean round trip in µs, one per line.
const CLIENT = `
const net = require('node:net');
const [port, warmUp, perBatch, batches] = process.argv.slice(1).map(Number);
const socket = net.connect(port, '127.0.0.1', () => {
  socket.setNoDelay(true);
  let n = 0;
  let started = 0n;
  const total = warmUp + perBatch * batches;
  socket.on('data', () => {
    n++;
    if (n > warmUp && (n - warmUp) % perBatch === 0) {
      console.log(Number(process.hrtime.bigint() - started) / perBatch / 1000);
    }
    if (n === total) return socket.end();
    if (n >= warmUp && (n - warmUp) % perBatch === 0) started = process.hrtime.bigint();
    socket.write('x');
  });
  socket.write('x');
});
`;

const ECHO_SERVER = `
const net = require('node:net');
const { spawn } = require('node:child_process');
const server = net.createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); });
server.listen(0, '127.0.0.1', () => {
  const args = [server.address().port, ${WARM_UP}, ${PER_BATCH}, ${BATCHES}].map(String);
  const client = spawn(process.execPath, ['-e', ${JSON.stringify(CLIENT)}, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  client.on('exit', (code) => process.exit(code ?? 1));
});
`;

/** The median batch's mean round trip in µs (one decimal), or undefined when the probe could not run. */
export function processRoundTripUs(timeoutMs = 20_000): number | undefined {
  const run = spawnSync(process.execPath, ['-e', ECHO_SERVER], { encoding: 'utf8', timeout: timeoutMs });
  if (run.status !== 0) return undefined;
  const batches = run.stdout.trim().split('\n').map(Number).filter(Number.isFinite);
  if (batches.length !== BATCHES) return undefined;
  const median = batches.sort((a, b) => a - b)[Math.floor(BATCHES / 2)]!;
  return Math.round(median * 10) / 10;
}
