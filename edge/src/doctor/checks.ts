/**
 * `cunbox doctor`: what a technician checks on a fresh or ailing box, each with
 * a verdict and the fix. Checks look, never change anything (the data disk
 * gets one small test file, removed at once).
 *
 * Messages are English templates with {placeholders}; the CLI translates them
 * (they are the i18n keys) and fills them in.
 */
import { closeSync, existsSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { EdgeConfig } from '../config/load.ts';
import { result, run, type CheckResult, type DoctorDeps } from './check.ts';
import { openDatabase, appliedMigrations } from '../db/database.ts';
import { migrations } from '../db/migrations.ts';
import { CameraRegistry, type CameraDetails } from '../cameras/registry.ts';
import { systemClock } from '../clock.ts';
import { Layout } from '../storage/layout.ts';
import { lockHolder } from '../storage/lock.ts';
import { storageStatus } from '../storage/status.ts';
import { ownBytes } from '../storage/own-files.ts';
import { WARNING_TEXT, type StorageWarning } from '../storage/capacity.ts';
import type { DiskSpace } from '../storage/disk.ts';
import { mapLimit } from '../probe/pool.ts';
import { filesystemName, filesystemConcern } from './filesystems.ts';
import { checkPort } from './ports.ts';
import { formatListen, isAnyAddress, isLoopback, lanAddresses } from '../config/listen.ts';
import { checkBackups, checkDiskHealth, checkInodes, checkWatchdog } from './system-checks.ts';

export { type CheckResult, type CommandRunner, type DoctorDeps, type Ran, type Verdict } from './check.ts';

const MIN_FFMPEG_MAJOR = 5;

export async function runDoctor(deps: DoctorDeps): Promise<CheckResult[]> {
  // Independent of each other; the camera and port checks wait on the network.
  const checks: Array<[CheckResult['id'], (d: DoctorDeps) => Promise<CheckResult>]> = [
    ['ffmpeg', checkFfmpeg],
    ['disk', checkDisk],
    ['time', checkTime],
    ['cameras', checkCameras],
    ['database', checkDatabase],
    ['ports', checkPorts],
    ['api', checkApi],
    ['disk-health', checkDiskHealth],
    ['inodes', checkInodes],
    ['watchdog', checkWatchdog],
    ['backups', checkBackups],
  ];
  // A check that throws (a damaged database read by the camera check, say) is that check's
  // failure, reported with the others: doctor is what a technician runs when things are broken.
  return Promise.all(checks.map(([id, check]) => check(deps).catch((err: unknown) => result(id, 'fail', 'this check could not run: {reason}', 'the other checks still ran; fix what they report first (the database check says whether the database is damaged)', { reason: (err as Error).message }))));
}

async function checkFfmpeg({ config, env }: DoctorDeps): Promise<CheckResult> {
  const ffmpeg = config.recorder.ffmpegPath ?? 'ffmpeg';
  const [a, b] = await Promise.all([run(ffmpeg, ['-hide_banner', '-version'], env), run('ffprobe', ['-hide_banner', '-version'], env)]);
  if (!a.ok || !b.ok) {
    const which = !a.ok ? ffmpeg : 'ffprobe';
    return result('ffmpeg', 'fail', '{tool} is missing or does not run', 'install ffmpeg (apt install ffmpeg); recording and camera probes need ffmpeg and ffprobe', { tool: which });
  }
  const version = /version\s+n?(\S+)/.exec(a.stdout)?.[1] ?? '?';
  const major = Number(/^(\d+)\./.exec(version)?.[1]);
  if (Number.isFinite(major) && major < MIN_FFMPEG_MAJOR) {
    return result('ffmpeg', 'fail', 'ffmpeg {version} is too old (need {min} or newer)', 'before 5.0 ffmpeg read the RTSP -timeout option as "wait for a camera to connect to us"; install ffmpeg 5 or newer (Debian 12 has 5.1)', { version, min: MIN_FFMPEG_MAJOR });
  }
  if (!Number.isFinite(major)) return result('ffmpeg', 'warn', 'ffmpeg {version}: cannot tell the version', 'a self-built ffmpeg is fine if it is 5.0 or newer', { version });
  return result('ffmpeg', 'pass', 'ffmpeg and ffprobe {version}', null, { version });
}

async function checkDisk({ config }: DoctorDeps): Promise<CheckResult> {
  const dir = config.dataDir;
  if (!existsSync(dir)) return result('disk', 'fail', 'data directory {dir} does not exist', 'run cunbox init (or mount the data disk)', { dir });
  const s = await statfs(dir);
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  const fs = filesystemName(s.type);
  const vars = { dir, fs, free: gib(free), total: gib(total) };
  // The ring buffer writes every second of every day: the disk must take writes and fsync.
  const probe = join(dir, `.cunbox-doctor-${process.pid}`);
  try {
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, 'cunbox doctor\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (err) {
    return result('disk', 'fail', 'cannot write to {dir}: {reason}', 'check the mount (read-only after disk errors?) and that the cunbox user owns the directory', { ...vars, reason: (err as NodeJS.ErrnoException).code ?? String(err) });
  }
  const reserve = Math.max(config.retention.minFreeBytes, config.retention.minFreeRatio * total);
  if (free < reserve) {
    const recorded = recordingsBytes(config);
    // Retention keeps the reserve free by deleting footage; if there is little footage, something else fills the disk.
    if (recorded < (total - free) / 2) {
      return result('disk', 'fail', '{free} GiB free of {total} GiB ({fs}), below the {reserve} GiB reserve, and most of it is not recordings', 'find and move what fills the disk (du -xh --max-depth=2 /); retention only deletes footage', { ...vars, reserve: gib(reserve) });
    }
    return result('disk', 'warn', '{free} GiB free of {total} GiB ({fs}), at the {reserve} GiB reserve: retention is deleting the oldest footage', 'normal once the ring buffer is full; for more days, add disk or lower bitrates', { ...vars, reserve: gib(reserve) });
  }
  // The cause (others' files) first, then the consequence (too few days); further ones as details.
  const [first, ...more] = await storageWarnings(config, { totalBytes: total, freeBytes: free, usedBytes: (s.blocks - s.bfree) * s.bsize });
  if (first) return result('disk', 'warn', WARNING_TEXT[first.code].message, WARNING_TEXT[first.code].hint, { ...vars, ...first.vars }, more.map((w) => w.message));
  const concern = filesystemConcern(fs);
  if (concern) return result('disk', 'warn', '{free} GiB free of {total} GiB on {fs}', concern, vars);
  return result('disk', 'pass', '{free} GiB free of {total} GiB ({fs})', null, vars);
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}

function recordingsBytes(config: EdgeConfig): number {
  const file = new Layout(config.dataDir).database;
  if (!existsSync(file)) return 0;
  const db = openDatabase(file, { readonly: true });
  try {
    return (db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM segments').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** The storage alarms the edge would raise, judged from the index and the disk. */
async function storageWarnings(config: EdgeConfig, disk: DiskSpace): Promise<StorageWarning[]> {
  const layout = new Layout(config.dataDir);
  if (!existsSync(layout.database)) return [];
  const db = openDatabase(layout.database, { readonly: true });
  try {
    return storageStatus({ db }, disk, config.retention, await ownBytes(db, layout)).warnings;
  } catch {
    return []; // the database check says what is wrong with it
  } finally {
    db.close();
  }
}

/**
 * Evidence times are the edge's clock: it must be NTP-synchronised. Asks
 * systemd first, then chrony, then the flag file systemd-timesyncd keeps.
 */
export async function checkTime({ env, runCommand }: DoctorDeps): Promise<CheckResult> {
  const exec = runCommand ?? run;
  const hint = 'enable NTP (timedatectl set-ntp true, or install chrony) and let the cameras take their time from this edge';
  const td = await exec('timedatectl', ['show', '--property=NTPSynchronized', '--value'], env);
  if (td.ok) {
    const v = td.stdout.trim();
    if (v === 'yes') return result('time', 'pass', 'clock synchronised (systemd)');
    if (v === 'no') return result('time', 'fail', 'clock not synchronised with NTP', hint);
  }
  const ch = await exec('chronyc', ['-n', 'tracking'], env);
  if (ch.ok) {
    const leap = /Leap status\s*:\s*(.+)/.exec(ch.stdout)?.[1]?.trim();
    if (leap === 'Normal') return result('time', 'pass', 'clock synchronised (chrony)');
    return result('time', 'fail', 'clock not synchronised with NTP (chrony: {state})', hint, { state: leap ?? '?' });
  }
  if (existsSync('/run/systemd/timesync/synchronized')) return result('time', 'pass', 'clock synchronised (systemd-timesyncd)');
  return result('time', 'warn', 'cannot tell whether the clock is synchronised (no answer from timedatectl or chronyc)', hint);
}

/** Every enabled camera: does its RTSP port take a connection? `cameras test` goes further. */
async function checkCameras({ config, cameraTimeoutMs }: DoctorDeps): Promise<CheckResult> {
  const file = new Layout(config.dataDir).database;
  if (!existsSync(file)) return result('cameras', 'warn', 'no cameras yet', 'cunbox cameras discover, then cunbox cameras import or add');
  const db = openDatabase(file, { readonly: true });
  let cams: CameraDetails[];
  try {
    cams = new CameraRegistry({ db, clock: systemClock }).list().filter((c) => c.enabled);
  } finally {
    db.close();
  }
  if (cams.length === 0) return result('cameras', 'warn', 'no cameras yet', 'cunbox cameras discover, then cunbox cameras import or add');
  const down = (
    await mapLimit(cams, 32, async (c) => {
      const u = new URL(c.mainUrl);
      const port = Number(u.port) || (u.protocol === 'rtsps:' ? 322 : 554);
      const err = await tcpConnect(u.hostname.replace(/^\[|\]$/g, ''), port, cameraTimeoutMs ?? 3000);
      return err ? `#${c.id} ${c.name} ${u.hostname}:${port}: ${err}` : null;
    })
  ).filter((x): x is string => x !== null);
  const vars = { ok: cams.length - down.length, n: cams.length };
  if (down.length > 0) return result('cameras', 'fail', '{ok} of {n} cameras reachable', 'run cunbox cameras test ID for what each needs', vars, down);
  return result('cameras', 'pass', '{ok} of {n} cameras reachable', null, vars);
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (why: string | null) => {
      sock.destroy();
      resolve(why);
    };
    sock.setTimeout(timeoutMs, () => done('timeout'));
    sock.once('connect', () => done(null));
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

async function checkDatabase({ config }: DoctorDeps): Promise<CheckResult> {
  const file = new Layout(config.dataDir).database;
  if (!existsSync(file)) return result('database', 'fail', 'no database at {file}', 'run cunbox init', { file });
  let db;
  try {
    db = openDatabase(file, { readonly: true });
  } catch (err) {
    return result('database', 'fail', 'cannot open the database {file}: {reason}', 'stop the edge, copy the data directory somewhere safe, then sqlite3 cunbox.db ".recover" | sqlite3 new.db', { file, reason: (err as Error).message });
  }
  try {
    // quick_check: the structural checks of integrity_check without reading every index entry; seconds, not minutes, on a full index.
    const rows = (db.pragma('quick_check(20)') as Array<{ quick_check: string }>).map((r) => r.quick_check);
    if (rows.length !== 1 || rows[0] !== 'ok') {
      return result('database', 'fail', 'the database {file} is damaged', 'stop the edge, copy the data directory somewhere safe, then sqlite3 cunbox.db ".recover" | sqlite3 new.db', { file }, rows.slice(0, 5));
    }
    const applied = appliedMigrations(db);
    const known = new Set(migrations.map((m) => m.name));
    const unknown = applied.filter((n) => !known.has(n));
    if (unknown.length > 0) return result('database', 'fail', 'the database is from a newer cunbox ({names})', 'install that cunbox version again', { names: unknown.join(', ') });
    const pending = migrations.length - applied.filter((n) => known.has(n)).length;
    if (pending > 0) return result('database', 'warn', 'database intact; {n} schema updates will be applied at the next start', null, { n: pending });
    return result('database', 'pass', 'database intact ({file})', 'cunbox check compares the index with the files on disk', { file });
  } catch (err) {
    return result('database', 'fail', 'cannot read the database {file}: {reason}', 'stop the edge, copy the data directory somewhere safe, then sqlite3 cunbox.db ".recover" | sqlite3 new.db', { file, reason: (err as Error).message });
  } finally {
    db.close();
  }
}

async function checkPorts({ config, ports }: DoctorDeps): Promise<CheckResult> {
  if (ports.length === 0) return result('ports', 'pass', 'no ports to check (the config has no http: section)');
  const edgePid = lockHolder(new Layout(config.dataDir).lockFile);
  const states = await Promise.all(ports.map((p) => checkPort(p, edgePid)));
  const busy = states.filter((s) => s.state === 'busy');
  const denied = states.filter((s) => s.state === 'denied');
  const details = [...busy, ...denied].map((s) => `${s.port} (${s.use}): ${s.state === 'busy' ? (s.owner ?? 'in use') : 'needs privileges'}`);
  const list = ports.map((p) => p.port).join(', ');
  if (busy.length > 0) return result('ports', 'fail', 'ports in use by another program: {ports}', 'stop that program or give the edge other ports', { ports: busy.map((s) => s.port).join(', ') }, details);
  if (denied.length > 0) return result('ports', 'warn', 'ports below 1024 need privileges: {ports}', 'run the edge with CAP_NET_BIND_SERVICE (AmbientCapabilities in the systemd unit) or use ports above 1024', { ports: denied.map((s) => s.port).join(', ') }, details);
  return result('ports', 'pass', 'ports free or used by this edge: {ports}', null, { ports: list });
}

/**
 * The office PC and the villagers' phones reach the governance API over the
 * LAN: an edge without an http: section, or listening on loopback or on an
 * address this box does not have, serves nobody.
 */
export async function checkApi({ config, lanAddresses: given }: DoctorDeps): Promise<CheckResult> {
  const file = config.file ?? '<config>';
  if (!config.http) {
    return result('api', 'fail', 'the HTTP API is off: the config has no http: section', 'add "http:" with "host: 0.0.0.0" and "port: 8080" to {file} (cunbox init --listen 0.0.0.0:8080 does it), then restart the edge', { file });
  }
  const { host, port } = config.http;
  const lan = given ?? lanAddresses();
  const vars = { address: formatListen({ host, port }), host, file, lan: lan.join(', ') || '-' };
  if (isLoopback(host)) {
    return result('api', 'fail', 'the HTTP API listens on {address} only: the office PC and phones cannot reach it', 'set http.host to 0.0.0.0 (or this box\'s LAN address) in {file} and restart the edge; keep loopback only if a proxy on this box forwards to it', vars);
  }
  if (isAnyAddress(host)) {
    if (lan.length === 0) return result('api', 'warn', 'the HTTP API listens on {address}, but this box has no network address besides loopback', 'plug in the LAN cable and check the network settings (ip -br addr)', vars);
    return result('api', 'pass', 'the HTTP API listens on {address}; the LAN reaches it at {urls}', null, { ...vars, urls: lan.map((a) => `http://${formatListen({ host: a, port })}`).join(' ') });
  }
  if (!lan.includes(host)) {
    return result('api', 'fail', 'the HTTP API listens on {address}, an address this box does not have (it has: {lan})', 'set http.host in {file} to 0.0.0.0 or one of the addresses above, then restart the edge', vars);
  }
  return result('api', 'pass', 'the HTTP API listens on {address}; the LAN reaches it at {urls}', null, { ...vars, urls: `http://${formatListen({ host, port })}` });
}
