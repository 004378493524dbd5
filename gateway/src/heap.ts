import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived its last full collection before it runs the next one,
 * in percent (V8's `--heap-growing-percent`): at 50, the next full collection starts at 1.5 × the live heap. 0 keeps
 * V8's own choice, which grows the limit up to 4 × when collections are cheap next to the program's work.
 *
 * Why the gateway bounds it: its live heap is mostly its subscribers' sockets and state (~20 KB each), and what dies
 * old is their garbage (closed subscribers' sockets, events and writes outlasting two young collections while a burst
 * goes out). V8's own choice let 10,000 subscribers' gateway reach 640–700 MiB while ~380 were live, one full
 * collection in a minute (bench/README.md, subscriptions); at 50 it stayed under 440 MiB, for a full collection of
 * ~10 ms on the thread (and ~50 ms of incremental steps) every few seconds of connecting and rarely otherwise.
 *
 * Set at run time because NODE_OPTIONS refuses this V8 flag; V8 reads it at each collection.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
