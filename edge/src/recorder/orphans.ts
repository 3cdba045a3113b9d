import { readFileSync } from 'node:fs';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import { sleep } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Layout } from '../storage/layout.ts';

/**
 * When the edge dies without systemd's cgroup kill (kill -9 of node alone, a
 * crash under a plain shell), its ffmpeg children live on and keep writing
 * into incoming/. Start-up reconciliation must not race them, and two
 * recorders must never write one camera, so they are stopped first: any run
 * without an end whose pid is still an ffmpeg writing under our recordings.
 */
export async function stopOrphanRecorders(deps: { db: Db; layout: Layout; clock: Clock; log: Logger }): Promise<number> {
  const { db, layout, clock, log } = deps;
  const runs = db.prepare('SELECT id, pid FROM recorder_runs WHERE ended_at IS NULL AND pid IS NOT NULL').all() as Array<{ id: number; pid: number }>;
  let stopped = 0;
  for (const run of runs) {
    if (!isOurFfmpeg(run.pid, layout.recordings)) continue;
    log.warn({ pid: run.pid, runId: run.id }, 'stopping an ffmpeg left running by a previous edge');
    signal(run.pid, 'SIGTERM');
    for (let waited = 0; waited < 3000 && isOurFfmpeg(run.pid, layout.recordings); waited += 100) await sleep(clock, 100);
    if (isOurFfmpeg(run.pid, layout.recordings)) signal(run.pid, 'SIGKILL');
    for (let waited = 0; waited < 2000 && isOurFfmpeg(run.pid, layout.recordings); waited += 100) await sleep(clock, 100);
    stopped++;
  }
  db.prepare('UPDATE recorder_runs SET ended_at = ? WHERE ended_at IS NULL').run(clock.now());
  return stopped;
}

function isOurFfmpeg(pid: number, recordingsDir: string): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /ffmpeg/.test(cmd[0] ?? '') && cmd.some((a) => a.startsWith(recordingsDir));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
