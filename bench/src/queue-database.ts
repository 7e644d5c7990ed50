/**
 * bench/queue's view of the database: a connection to the PostgreSQL cluster the
 * server under test runs on, the raw-SQL floor measured on it, and the probes that
 * say where a lifecycle's time goes (the cluster's CPU time, and what its backends
 * are waiting for).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { createPool, EMBEDDED_DATABASE, socketConnectionString } from '@bulwark/db';

/** The embedded cluster's superuser (SUPERUSER_NAME in packages/db/src/embedded-cluster.ts). */
const SUPERUSER = 'bulwark';
/** application_name of the server's own pool, to tell its backends from ours. */
export const SERVER_APPLICATION = 'bulwark';
export const FLOOR_APPLICATION = 'bulwark-bench-floor';
const PROBE_APPLICATION = 'bulwark-bench-probe';
const FLOOR_TABLE = 'bench_queue_floor';

export interface ServerCluster {
  /** Connections for the floor's clients and the wait-state sampler. */
  readonly pool: pg.Pool;
  /** How it was reached, and the settings that decide the cost of a commit. */
  readonly description: string;
  /** CPU time (user + system) of the whole cluster so far, backends that exited included, in µs. */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Connects to the server's own embedded cluster, so the floor runs on the same
 * PostgreSQL server, with the same settings, CPU pinning and disk as the queue. The
 * cluster listens only on a unix socket in a per-start directory; postmaster.pid
 * names that directory and the port, and the password is in the data directory.
 */
export async function openServerCluster(dataDir: string, clients: number): Promise<ServerCluster> {
  const pidFile = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
  const [pidLine, , , port, socketDir] = pidFile;
  const postmasterPid = Number(pidLine);
  if (!Number.isInteger(postmasterPid) || !port || !socketDir) {
    throw new Error('postmaster.pid of the server under test is not in the expected format');
  }
  const password = (await readFile(join(dataDir, 'postgres-password'), 'utf8')).trim();
  const url = `${socketConnectionString({
    socketDir,
    user: SUPERUSER,
    password,
    database: EMBEDDED_DATABASE,
  })}&port=${encodeURIComponent(port)}`;
  // One connection per floor client, and one for the sampler.
  const pool = createPool(url, {
    max: clients + 1,
    applicationName: FLOOR_APPLICATION,
    allowExitOnIdle: true,
  });
  try {
    const settings = await pool.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method')
        ORDER BY name`,
    );
    const status = await readFile(`/proc/${postmasterPid}/status`, 'utf8');
    const cpus = /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?';
    const ticksPerSecond = Number(
      spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100,
    );
    const description =
      `the server's own embedded PostgreSQL (unix socket from postmaster.pid, CPUs ${cpus}; ` +
      `${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')})`;
    return {
      pool,
      description,
      cpuMicros: () => clusterCpuMicros(postmasterPid, ticksPerSecond),
      close: () => pool.end(),
    };
  } catch (err) {
    await pool.end();
    throw err;
  }
}

/** utime + stime (+ cutime + cstime: reaped children) of a process, in µs. */
async function processCpuMicros(
  pid: number | string,
  withReaped: boolean,
  ticksPerSecond: number,
): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime is the 14th field.
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const ticks = (f[11] ?? 0) + (f[12] ?? 0) + (withReaped ? (f[13] ?? 0) + (f[14] ?? 0) : 0);
  return (ticks / ticksPerSecond) * 1e6;
}

/**
 * Every PostgreSQL process is a child of the postmaster: live ones are read one by
 * one, and those that exited are in the postmaster's own reaped-children counters.
 * The children are read first so a backend exiting in between is not lost.
 */
async function clusterCpuMicros(postmasterPid: number, ticksPerSecond: number): Promise<number> {
  const children = (await readFile(`/proc/${postmasterPid}/task/${postmasterPid}/children`, 'utf8'))
    .split(' ')
    .filter(Boolean);
  const live = await Promise.all(
    children.map((pid) => processCpuMicros(pid, false, ticksPerSecond).catch(() => 0)),
  );
  return (
    live.reduce((a, b) => a + b, 0) + (await processCpuMicros(postmasterPid, true, ticksPerSecond))
  );
}

export async function createFloorTable(pool: pg.Pool): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${FLOOR_TABLE}`);
  // An ordinary logged table (every commit reaches the disk), with the partial index
  // a queue keeps on its pending rows.
  await pool.query(
    `CREATE TABLE ${FLOOR_TABLE} (
       id bigserial PRIMARY KEY,
       state text NOT NULL,
       created timestamptz NOT NULL DEFAULT now()
     )`,
  );
  await pool.query(
    `CREATE INDEX ${FLOOR_TABLE}_pending ON ${FLOOR_TABLE} (id) WHERE state = 'pending'`,
  );
}

export async function dropFloorTable(pool: pg.Pool): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${FLOOR_TABLE}`);
}

/**
 * The floor: a pgbench-style loop of `clients` connections, each running whole
 * lifecycles as three durable transactions: insert a pending row; claim the oldest
 * pending row with SELECT ... FOR UPDATE SKIP LOCKED and mark it running; mark it
 * completed. No HTTP, authentication, audit or task definition: what the database
 * alone allows on this machine. Answers lifecycles per second.
 */
export async function rawFloor(
  pool: pg.Pool,
  options: { lifecycles: number; clients: number; deadline: number },
): Promise<number> {
  await pool.query(`TRUNCATE ${FLOOR_TABLE}`);
  let started = 0;
  const client = async (): Promise<void> => {
    const db = await pool.connect();
    try {
      while (started < options.lifecycles) {
        if (Date.now() > options.deadline) throw new Error('the floor ran out of time');
        started++;
        await db.query(`INSERT INTO ${FLOOR_TABLE} (state) VALUES ('pending')`);
        let id: string | undefined;
        // Another client may have taken every unlocked pending row, its own included;
        // rows it inserted are still coming, so look again.
        for (let attempt = 0; id === undefined; attempt++) {
          if (attempt >= 1000) throw new Error('the floor found nothing to claim 1000 times');
          await db.query('BEGIN');
          const { rows } = await db.query<{ id: string }>(
            `SELECT id FROM ${FLOOR_TABLE} WHERE state = 'pending'
              ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
          );
          id = rows[0]?.id;
          if (id !== undefined) {
            await db.query(`UPDATE ${FLOOR_TABLE} SET state = 'running' WHERE id = $1`, [id]);
          }
          await db.query('COMMIT');
        }
        await db.query(`UPDATE ${FLOOR_TABLE} SET state = 'completed' WHERE id = $1`, [id]);
      }
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: options.clients }, client));
  const seconds = (performance.now() - began) / 1000;
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${FLOOR_TABLE} WHERE state = 'completed'`,
  );
  const completed = Number(rows[0]?.n);
  if (completed !== options.lifecycles) {
    throw new Error(`the floor completed ${completed} of ${options.lifecycles} lifecycles`);
  }
  return completed / seconds;
}

/** Average number of backends in each state over the samples taken. */
export type WaitProfile = Map<string, number>;

/**
 * While serving, the only advisory lock Bulwark takes is the audit log's
 * (appendAuditEntries in packages/db/src/queries/audit.ts); the migration lock is
 * released before the server listens.
 */
const AUDIT_LOCK_HELD = 'audit lock held';

/**
 * Samples pg_stat_activity every `everyMs` for the backends of one application until
 * stopped: on CPU, waiting on a lock (Lock:advisory is the audit log's), on the WAL
 * flush of a commit (IO:WALSync), or idle inside a transaction, which means waiting
 * for the client process to send the next statement. Also samples whether the
 * audit lock is held at all.
 */
export function sampleWaits(
  pool: pg.Pool,
  application: string,
  everyMs: number,
): { stop(): Promise<WaitProfile> } {
  let running = true;
  const totals = new Map<string, number>();
  let samples = 0;
  const loop = (async () => {
    const db = await pool.connect();
    try {
      await db.query(`SET application_name = '${PROBE_APPLICATION}'`);
      while (running) {
        const { rows } = await db.query<{ what: string; n: number }>(
          `SELECT CASE
                    WHEN state = 'idle in transaction' THEN 'idle in transaction'
                    WHEN wait_event IS NULL THEN 'on CPU'
                    ELSE wait_event_type || ':' || wait_event
                  END AS what,
                  count(*)::int AS n
             FROM pg_stat_activity
            WHERE application_name = $1 AND backend_type = 'client backend' AND state <> 'idle'
            GROUP BY 1
           UNION ALL
           SELECT '${AUDIT_LOCK_HELD}', count(*)::int FROM pg_locks
            WHERE locktype = 'advisory' AND granted`,
          [application],
        );
        samples++;
        for (const { what, n } of rows) totals.set(what, (totals.get(what) ?? 0) + n);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    } finally {
      await db.query(`SET application_name = '${FLOOR_APPLICATION}'`).catch(() => undefined);
      db.release();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return new Map([...totals].map(([what, n]) => [what, n / Math.max(samples, 1)]));
    },
  };
}

/** The mean of several rounds' profiles, each round counting alike. */
export function mergeProfiles(profiles: WaitProfile[]): WaitProfile {
  const merged = new Map<string, number>();
  for (const profile of profiles) {
    for (const [what, n] of profile) {
      merged.set(what, (merged.get(what) ?? 0) + n / profiles.length);
    }
  }
  return merged;
}

/** The share of samples in which the audit lock was held, 0 to 1. */
export const auditLockHeld = (profile: WaitProfile): number => profile.get(AUDIT_LOCK_HELD) ?? 0;

export function formatProfile(profile: WaitProfile): string {
  const held = auditLockHeld(profile);
  const backends = [...profile].filter(([what]) => what !== AUDIT_LOCK_HELD);
  const total = backends.reduce((sum, [, n]) => sum + n, 0);
  const parts = backends
    .sort(([, a], [, b]) => b - a)
    .filter(([, n]) => n >= 0.01)
    .map(([what, n]) => `${what} ${n.toFixed(2)}`);
  return (
    `${total.toFixed(2)} busy on average: ${parts.join(', ') || 'none'}; ` +
    `audit lock held ${(held * 100).toFixed(0)}% of the time`
  );
}
