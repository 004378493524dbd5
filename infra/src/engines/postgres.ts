import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { isAlive, sleep } from '../process';
import type { Settings } from '../settings';
import { probe, type Engine } from './types';

const execFileAsync = promisify(execFile);

/** `"name"` with inner quotes doubled: role and database names come from DATABASE_URL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withClient<T>(connectionString: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresSelectOne(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ one: number; who: string; db: string }>('SELECT 1 AS one, current_user AS who, current_database() AS db');
    if (rows[0]?.one !== 1) throw new Error('SELECT 1 did not return 1');
    return `SELECT 1 as ${rows[0].who} on ${rows[0].db}`;
  });
}

/** Creates the application's role (LOGIN) and database (owned by it) when missing. */
export async function ensureRoleAndDatabase(adminUrl: string, role: string, database: string): Promise<string[]> {
  return withClient(adminUrl, async (client) => {
    const created: string[] = [];
    const duplicate = (err: unknown, code: string) => (err as { code?: string }).code === code;
    const role_ = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (role_.rowCount === 0) {
      // 42710: another `up` created it between our check and CREATE.
      await client.query(`CREATE ROLE ${quoteIdent(role)} LOGIN`).then(
        () => created.push(`role ${role}`),
        (err: unknown) => { if (!duplicate(err, '42710')) throw err; },
      );
    }
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (db.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(role)}`).then(
        () => created.push(`database ${database}`),
        (err: unknown) => { if (!duplicate(err, '42P04')) throw err; },
      );
    }
    return created;
  });
}

const isLocalHost = (host: string) => ['127.0.0.1', 'localhost', '::1'].includes(host);

/** The Debian cluster's postmaster pid, from /run/postgresql/<version>-main.pid. */
function clusterPid(): number | undefined {
  const dir = '/run/postgresql';
  if (!existsSync(dir)) return undefined;
  for (const f of readdirSync(dir).filter((n) => /^\d+-main\.pid$/.test(n))) {
    const pid = Number(readFileSync(`${dir}/${f}`, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  }
  return undefined;
}

/** This machine kind's own setup: trust on the socket and loopback, so `postgres` and the app role need no password. */
const trustHba = ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host all all ::1/128 trust', ''].join('\n');

const latestVersion = () => (existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort().at(-1) : undefined);

async function startSystemCluster(log: (line: string) => void): Promise<void> {
  let version = latestVersion();
  if (!version) {
    log('postgres: not installed, running apt-get install -y postgresql');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => execFileAsync('apt-get', ['install', '-y', 'postgresql'], { env });
    // A fresh machine may have no package lists yet.
    await install().catch(async () => {
      await execFileAsync('apt-get', ['update'], { env });
      await install();
    });
    version = latestVersion();
    if (!version) throw new Error('apt-get installed postgresql but /etc/postgresql has no cluster');
    // Only a cluster we just installed gets its pg_hba.conf replaced; an existing one is left as it is.
    writeFileSync(`/etc/postgresql/${version}/main/pg_hba.conf`, trustHba);
    // The package may have started the cluster with the old pg_hba.conf; stopping a stopped one fails harmlessly.
    await execFileAsync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'stop']).catch(() => undefined);
  }
  log(`postgres: starting cluster ${version}/main`);
  await execFileAsync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
}

/**
 * The machine's PostgreSQL. We use it, start it when it is installed but stopped, install it
 * when absent, and never stop it: it may serve more than this project.
 */
export function postgresEngine(settings: Settings, log: (line: string) => void = console.log): Engine {
  const { host, port, url, adminUser, database } = settings.postgres;
  const appUrl = new URL(url);
  const role = decodeURIComponent(appUrl.username) || 'chat4all';
  const adminUrl = new URL(url);
  adminUrl.username = adminUser;
  adminUrl.password = '';
  adminUrl.pathname = '/postgres';
  return {
    name: 'postgres',
    port,
    logFile: `/var/log/postgresql/postgresql-${latestVersion() ?? 'VERSION'}-main.log`,
    managed: false,
    pid: clusterPid,
    async start() {
      const adminReady = () => probe(() => postgresSelectOne(adminUrl.toString()), 3000);
      let ready = await adminReady();
      if (!ready.ready) {
        if (!isLocalHost(host)) throw new Error(`PostgreSQL at ${host}:${port} does not answer (${ready.reason}); only a local one is started`);
        await startSystemCluster(log);
        const deadline = Date.now() + 30_000;
        while (!(ready = await adminReady()).ready && Date.now() < deadline) await sleep(500);
        if (!ready.ready) throw new Error(`PostgreSQL started but does not answer: ${ready.reason}`);
      }
      const created = await ensureRoleAndDatabase(adminUrl.toString(), role, database);
      if (created.length > 0) log(`postgres: created ${created.join(' and ')}`);
    },
    isReady: () => probe(() => postgresSelectOne(url)),
    stop: async () => 'system PostgreSQL left running',
  };
}
