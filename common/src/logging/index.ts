import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs on stdout, one object a line, with the service name on every line. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  // Synchronous writes: pino's default async stdout stream was seen to reorder lines written in the same
  // millisecond, and lines still buffered at a crash are lost; log volume here is small enough for sync I/O.
  return pino(
    { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 1, sync: true }),
  );
}
