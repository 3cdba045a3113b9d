import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { probeFile, type FileProbe } from '../ffmpeg/probe.ts';
import { Layout, parseIncomingName, parseSegmentName } from './layout.ts';
import type { SegmentIndex, SegmentRow } from './segment-index.ts';
import { durableMove, unlinkIfExists } from './durable.ts';

type FindingKind =
  | 'garbage-pending' // a deletion was interrupted
  | 'partial-segment' // left in incoming/ by a killed recorder
  | 'unindexed-file' // a closed segment with no row
  | 'missing-file' // a row whose file is gone
  | 'size-mismatch' // a row whose file has another size
  | 'unplayable-file' // a file ffprobe cannot read
  | 'stray-file' // something that is not ours
  | 'oplog-mismatch'; // a governance entity whose stored state differs from the fold of its ops

interface Finding {
  kind: FindingKind;
  path: string;
  cameraId: number | null;
  detail: string;
  repaired: boolean;
}

export interface ReconcileReport {
  rowsChecked: number;
  filesChecked: number;
  findings: Finding[];
}

export interface ReconcileDeps {
  db: Db;
  layout: Layout;
  index: SegmentIndex;
  log: Logger;
  probe?: (path: string) => Promise<FileProbe>;
}

/**
 * Verifies the storage invariants (see docs/design/recording.md) and, with
 * `repair`, mends what is wrong:
 *  - every garbage row's file is deleted and the row dropped;
 *  - every file in incoming/ (left by a crash) is dated from its run's anchor,
 *    moved into place and indexed with its true duration;
 *  - every closed file has a row, every row a file of the recorded size.
 *
 * Must not run on incoming/ while a recorder writes there: the edge calls it
 * before starting its recorders, `cunbox check` only while the edge is stopped.
 */
export async function reconcile(deps: ReconcileDeps, opts: { repair: boolean; skipIncoming?: boolean }): Promise<ReconcileReport> {
  const report: ReconcileReport = { rowsChecked: 0, filesChecked: 0, findings: [] };
  const add = (f: Finding) => {
    report.findings.push(f);
    deps.log.info({ ...f }, 'reconcile');
  };
  await replayGarbage(deps, opts.repair, add);

  for (const cameraId of await cameraDirs(deps.layout)) {
    if (!opts.skipIncoming) await reconcileIncoming(deps, cameraId, opts.repair, add, report);
    await reconcileClosed(deps, cameraId, opts.repair, add, report);
  }
  await reconcileRows(deps, opts.repair, add, report);
  return report;
}

async function replayGarbage(deps: ReconcileDeps, repair: boolean, add: (f: Finding) => void): Promise<void> {
  const rows = deps.db.prepare('SELECT path, camera_id FROM garbage').all() as Array<{ path: string; camera_id: number | null }>;
  const drop = deps.db.prepare('DELETE FROM garbage WHERE path = ?');
  for (const row of rows) {
    if (repair) {
      await unlinkIfExists(deps.layout.absolute(row.path));
      drop.run(row.path);
    }
    add({ kind: 'garbage-pending', path: row.path, cameraId: row.camera_id, detail: 'deletion was interrupted', repaired: repair });
  }
}

async function cameraDirs(layout: Layout): Promise<number[]> {
  const entries = await readdirOrEmpty(layout.recordings);
  return entries.filter((e) => e.isDirectory() && /^\d+$/.test(e.name)).map((e) => Number(e.name)).sort((a, b) => a - b);
}

async function readdirOrEmpty(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function reconcileIncoming(
  deps: ReconcileDeps,
  cameraId: number,
  repair: boolean,
  add: (f: Finding) => void,
  report: ReconcileReport,
): Promise<void> {
  const dir = deps.layout.incomingDir(cameraId);
  const probe = deps.probe ?? ((p: string) => probeFile(p));
  const files = (await readdirOrEmpty(dir)).filter((e) => e.isFile()).map((e) => e.name).sort(byRunAndSeq);
  for (const name of files) {
    report.filesChecked++;
    const abs = join(dir, name);
    const rel = deps.layout.relative(abs);
    const parsed = parseIncomingName(name);
    if (!parsed) {
      add({ kind: 'stray-file', path: rel, cameraId, detail: 'not a recorder file; left alone', repaired: false });
      continue;
    }
    const st = await stat(abs);
    let info: FileProbe;
    try {
      if (st.size === 0) throw new Error('empty file');
      info = await probe(abs);
    } catch (err) {
      if (repair) await unlinkIfExists(abs);
      add({ kind: 'unplayable-file', path: rel, cameraId, detail: `partial segment has no playable video (${(err as Error).message}); removed`, repaired: repair });
      continue;
    }
    // With -muxdelay 0 a file's first PTS is its offset from the run's start.
    const anchor = deps.index.runAnchor(parsed.runId);
    const durationMs = Math.round(info.durationSeconds * 1000);
    const startMs = anchor !== undefined ? Math.round(anchor + info.startTime * 1000) : Math.round(st.mtimeMs - durationMs);
    const detail = `partial segment of run ${parsed.runId}: ${(durationMs / 1000).toFixed(1)} s${anchor === undefined ? ' (dated by file time)' : ''}`;
    if (repair) {
      const dest = deps.index.uniquePath(cameraId, startMs);
      await durableMove(abs, deps.layout.absolute(dest));
      deps.index.insert({ cameraId, startMs, endMs: startMs + durationMs, bytes: st.size, path: dest, runId: parsed.runId, seq: parsed.seq, recovered: true });
      add({ kind: 'partial-segment', path: dest, cameraId, detail, repaired: true });
    } else {
      add({ kind: 'partial-segment', path: rel, cameraId, detail, repaired: false });
    }
  }
}

function byRunAndSeq(a: string, b: string): number {
  const pa = parseIncomingName(a);
  const pb = parseIncomingName(b);
  if (!pa || !pb) return a.localeCompare(b);
  return pa.runId - pb.runId || pa.seq - pb.seq;
}

async function reconcileClosed(
  deps: ReconcileDeps,
  cameraId: number,
  repair: boolean,
  add: (f: Finding) => void,
  report: ReconcileReport,
): Promise<void> {
  const probe = deps.probe ?? ((p: string) => probeFile(p));
  const known = new Set(
    (deps.db.prepare('SELECT path FROM segments WHERE camera_id = ? UNION ALL SELECT path FROM garbage WHERE camera_id = ?').all(cameraId, cameraId) as Array<{ path: string }>).map(
      (r) => r.path,
    ),
  );
  const camDir = deps.layout.cameraDir(cameraId);
  for (const day of await readdirOrEmpty(camDir)) {
    if (!day.isDirectory() || day.name === 'incoming') continue;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day.name)) {
      add({ kind: 'stray-file', path: deps.layout.relative(join(camDir, day.name)), cameraId, detail: 'unexpected directory; left alone', repaired: false });
      continue;
    }
    for (const f of await readdirOrEmpty(join(camDir, day.name))) {
      const abs = join(camDir, day.name, f.name);
      const rel = deps.layout.relative(abs);
      report.filesChecked++;
      if (known.has(rel)) continue;
      const startMs = f.isFile() ? parseSegmentName(f.name) : undefined;
      if (startMs === undefined) {
        add({ kind: 'stray-file', path: rel, cameraId, detail: 'not a segment file; left alone', repaired: false });
        continue;
      }
      let info: FileProbe;
      try {
        info = await probe(abs);
      } catch (err) {
        if (repair) await unlinkIfExists(abs);
        add({ kind: 'unplayable-file', path: rel, cameraId, detail: `${(err as Error).message}; removed`, repaired: repair });
        continue;
      }
      const durationMs = Math.round(info.durationSeconds * 1000);
      if (repair) {
        const { size } = await stat(abs);
        deps.index.insert({ cameraId, startMs, endMs: startMs + durationMs, bytes: size, path: rel, runId: null, seq: null, recovered: true });
      }
      add({ kind: 'unindexed-file', path: rel, cameraId, detail: `segment without a row (${(durationMs / 1000).toFixed(1)} s)`, repaired: repair });
    }
  }
}

async function reconcileRows(deps: ReconcileDeps, repair: boolean, add: (f: Finding) => void, report: ReconcileReport): Promise<void> {
  const rows = deps.db.prepare('SELECT id, camera_id, path, bytes FROM segments').all() as Array<Pick<SegmentRow, 'id' | 'camera_id' | 'path' | 'bytes'>>;
  const resize = deps.db.prepare('UPDATE segments SET bytes = ? WHERE id = ?');
  // Bounded parallelism: a week of 64 cameras is ~645,000 rows.
  const BATCH = 64;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    const sizes = await Promise.all(batch.map((r) => stat(deps.layout.absolute(r.path)).then((s) => s.size, () => -1)));
    batch.forEach((row, j) => {
      report.rowsChecked++;
      const size = sizes[j]!;
      if (size < 0) {
        if (repair) deps.index.deleteRows([row.id]);
        add({ kind: 'missing-file', path: row.path, cameraId: row.camera_id, detail: 'row without a file; row removed', repaired: repair });
      } else if (size !== row.bytes) {
        if (repair) resize.run(size, row.id);
        add({ kind: 'size-mismatch', path: row.path, cameraId: row.camera_id, detail: `row says ${row.bytes} bytes, file has ${size}`, repaired: repair });
      }
    });
  }
}
