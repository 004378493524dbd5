import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fetchJars, isFetched, libDir } from '../maven';
import { portAnswers, runningPid, spawnDetached, stopProcess, withTimerSlack } from '../process';
import { enginePaths, repoRoot, type Settings } from '../settings';
import { probe, type Engine, type Readiness } from './types';

export interface JavaLaunch {
  mainClass: string;
  jvmArgs: string[];
  args: string[];
  /** Extra jars before lib/* on the classpath (rarely needed). */
  classpathPrefix?: string[];
  /** Linux timer slack for every thread of the JVM (withTimerSlack); the system default when absent. */
  timerSlackNs?: number;
}

export interface JavaEngineSpec {
  name: string;
  host: string;
  port: number;
  /** Every port the engine listens on (client port first); a taken one fails the start before the JVM does. */
  ports: number[];
  settings: Settings;
  /** Writes configs, prepares data folders and says how to launch. Runs before every start. */
  prepare(paths: ReturnType<typeof enginePaths>): Promise<JavaLaunch>;
  /** The real readiness query; resolves to a short description of the answer. */
  query(): Promise<string>;
}

/** A Maven-fetched engine run as a detached `java` process (Kafka, Cassandra, S3Proxy). */
export function javaEngine(spec: JavaEngineSpec): Engine {
  const paths = enginePaths(spec.settings.localDir, spec.name);
  // Lets the pid check tell our JVM from any other process that inherits the pid later.
  const marker = `-Dchat4all.engine=${spec.name}`;
  const fetchTarget = { pom: join(repoRoot, 'infra', 'engines', spec.name, 'pom.xml'), engineDir: paths.engineDir };
  return {
    name: spec.name,
    port: spec.port,
    logFile: paths.logFile,
    managed: true,
    fetch: () => fetchJars(fetchTarget),
    fetched: () => isFetched(fetchTarget),
    pid: () => runningPid(paths.pidFile, marker),
    async start() {
      for (const port of spec.ports) {
        if (await portAnswers(spec.host, port)) throw new Error(`port ${spec.host}:${port} is already taken by another process`);
      }
      mkdirSync(paths.data, { recursive: true });
      const launch = await spec.prepare(paths);
      const classpath = [...(launch.classpathPrefix ?? []), join(libDir(fetchTarget), '*')].join(':');
      const java = { command: 'java', args: [marker, ...launch.jvmArgs, '-cp', classpath, launch.mainClass, ...launch.args] };
      spawnDetached({
        ...(launch.timerSlackNs === undefined ? java : withTimerSlack(launch.timerSlackNs, java.command, java.args)),
        cwd: paths.data,
        logFile: paths.logFile,
        pidFile: paths.pidFile,
        marker,
      });
    },
    isReady: (): Promise<Readiness> => probe(spec.query),
    stop: () => stopProcess(paths.pidFile, marker, spec.settings.stopTimeoutMs),
  };
}
