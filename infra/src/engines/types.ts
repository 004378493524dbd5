export type Readiness = { ready: true; detail: string } | { ready: false; reason: string };

/** One local engine, as the CLI sees it. */
export interface Engine {
  readonly name: string;
  readonly port: number;
  readonly logFile: string;
  /** False for engines we only use and never stop (the system PostgreSQL). */
  readonly managed: boolean;
  /** Brings the engine's jars from Maven Central; returns whether anything was downloaded or copied. */
  fetch?(): Promise<boolean>;
  /** Whether the jars `fetch` brings are already there (engines without `fetch` need none). */
  fetched?(): boolean;
  /** The pid serving the engine, when there is one we can see. */
  pid(): number | undefined;
  /** Starts the engine without waiting for readiness. */
  start(): Promise<void>;
  /** Asks the engine a real question with a real client. */
  isReady(): Promise<Readiness>;
  /** Stops it if we started it; returns what happened, for the CLI. */
  stop(): Promise<string>;
}

/** Driver errors span lines (the Cassandra driver appends a dump of inner errors): status prints one line. */
export function oneLine(message: string, max = 160): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Runs a readiness query, turning errors and hangs into `{ ready: false }`. */
export async function probe(query: () => Promise<string>, timeoutMs = 5000): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { ready: true, detail: await Promise.race([query(), timeout]) };
  } catch (err) {
    return { ready: false, reason: oneLine(err instanceof Error ? err.message : String(err)) };
  } finally {
    clearTimeout(timer);
  }
}
