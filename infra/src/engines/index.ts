import type { Settings } from '../settings';
import { cassandraEngine } from './cassandra';
import { kafkaEngine } from './kafka';
import { postgresEngine } from './postgres';
import { s3proxyEngine } from './s3proxy';
import type { Engine } from './types';

export type { Engine, Readiness } from './types';

/** Every local engine, in the order the CLI prints them. */
export function allEngines(settings: Settings, log?: (line: string) => void): Engine[] {
  return [kafkaEngine(settings), cassandraEngine(settings), s3proxyEngine(settings), postgresEngine(settings, log)];
}
