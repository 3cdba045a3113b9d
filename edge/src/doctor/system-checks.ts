/**
 * Doctor checks of the box around cunbox: the disk's own health (SMART), free
 * inodes, the systemd watchdog, recent backups. Each tool is run through the
 * injected runner, so tests feed them the tools' real output formats.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { statfs as nodeStatfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { filesystemName } from './filesystems.ts';
import { result, run, type CheckResult, type DoctorDeps } from './check.ts';

const EDGE_UNIT = 'cunbox-edge';
/** A backup folder: `<backup.dir>/cunbox-backup-YYYYMMDD-HHMMSS/`, complete once its manifest.json is written. */
const BACKUP_FOLDER = /^cunbox-backup-\d{8}-\d{6}$/;
const BACKUP_MANIFEST = 'manifest.json';
const BACKUP_MAX_AGE_MS = 2 * 86_400_000;
const DAY_MS = 86_400_000;

/**
 * The whole disk (not the partition) that holds `dir`, from its device number
 * through sysfs: /dev/sda for /dev/sda2, /dev/nvme0n1 for /dev/nvme0n1p1.
 * null for filesystems without a block device (tmpfs, overlay, NFS).
 */
export function blockDeviceOf(dir: string): string | null {
  let dev: number;
  try {
    dev = statSync(dir).dev;
  } catch {
    return null;
  }
  // glibc's dev_t layout: major in bits 8–19 and 32–43, minor in bits 0–7 and 20–31.
  const major = (Math.floor(dev / 256) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (major === 0 || !existsSync(sys)) return null;
  const real = realpathSync(sys);
  return `/dev/${existsSync(join(real, 'partition')) ? basename(dirname(real)) : basename(real)}`;
}

interface SmartctlJson {
  smart_status?: { passed?: boolean };
  smartctl?: { messages?: Array<{ string?: string; severity?: string }>; exit_status?: number };
}

/** `smartctl -H -j` (smartmontools 7+): the drive's own verdict on itself. */
export async function checkDiskHealth(deps: DoctorDeps): Promise<CheckResult> {
  const dir = deps.config.dataDir;
  const device = (deps.dataDevice ?? blockDeviceOf)(dir);
  if (!device) return result('disk-health', 'pass', 'the data directory is not on a local disk: no SMART health to read', null, { dir });
  const r = await (deps.runCommand ?? run)('smartctl', ['-H', '-j', device], deps.env);
  if (r.missing) return result('disk-health', 'pass', 'smartctl not installed (apt install smartmontools)', null, { device });
  let out: SmartctlJson;
  try {
    out = JSON.parse(r.stdout) as SmartctlJson;
  } catch {
    return result('disk-health', 'warn', 'cannot read the SMART health of {device}: {reason}', 'smartctl 7 or newer is needed for JSON output', { device, reason: 'no JSON from smartctl' });
  }
  const passed = out.smart_status?.passed;
  if (passed === true) return result('disk-health', 'pass', 'SMART health of {device}: passed', null, { device });
  if (passed === false) return result('disk-health', 'fail', '{device} reports that it is failing (SMART)', 'copy off the footage that must be kept (cunbox export) and replace the disk soon', { device });
  const reason = out.smartctl?.messages?.find((m) => m.severity === 'error')?.string ?? out.smartctl?.messages?.[0]?.string ?? 'no SMART status';
  return result('disk-health', 'warn', 'cannot read the SMART health of {device}: {reason}', 'run doctor as root; a virtual or USB disk may not pass SMART through', { device, reason });
}

/** Inodes run out before bytes when something writes many small files (not footage: one file a minute). */
export async function checkInodes(deps: DoctorDeps): Promise<CheckResult> {
  const dir = deps.config.dataDir;
  if (!existsSync(dir)) return result('inodes', 'warn', 'cannot tell: data directory {dir} does not exist', null, { dir });
  const s = await (deps.statfs ?? nodeStatfs)(dir);
  const fs = filesystemName(s.type);
  // btrfs and some others report 0: inodes are made as needed.
  if (s.files === 0) return result('inodes', 'pass', 'the {fs} filesystem makes inodes as needed', null, { fs });
  const percent = (100 * s.ffree) / s.files;
  const vars = { free: s.ffree, total: s.files, percent: percent.toFixed(1), fs };
  const hint = 'something writes many small files: find it with du --inodes -x --max-depth=3 / | sort -n | tail; footage uses one file a minute per camera';
  if (percent < 2) return result('inodes', 'fail', '{free} of {total} inodes free ({percent} %): new segments will fail to write', hint, vars);
  if (percent < 10) return result('inodes', 'warn', '{free} of {total} inodes free ({percent} %)', hint, vars);
  return result('inodes', 'pass', '{percent} % of inodes free', null, vars);
}

/** systemd restarts an edge that stops answering only when the unit sets WatchdogSec. */
export async function checkWatchdog(deps: DoctorDeps): Promise<CheckResult> {
  const r = await (deps.runCommand ?? run)('systemctl', ['show', EDGE_UNIT, '-p', 'LoadState', '-p', 'WatchdogUSec'], deps.env);
  const hint = `on the box itself: systemctl show ${EDGE_UNIT} -p WatchdogUSec`;
  if (r.missing) return result('watchdog', 'warn', 'cannot tell whether the watchdog is on (no systemctl)', hint, { unit: EDGE_UNIT });
  // In a container, or without systemd as PID 1, systemctl cannot reach systemd.
  if (!r.ok) return result('watchdog', 'warn', 'cannot tell whether the watchdog is on (systemctl cannot reach systemd)', hint, { unit: EDGE_UNIT });
  const props = Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => l.split('='))
      .filter((kv) => kv.length >= 2)
      .map(([k, ...v]) => [k!.trim(), v.join('=').trim()]),
  );
  if (props.LoadState === 'not-found') return result('watchdog', 'warn', 'the {unit} unit is not installed', 'install systemd/cunbox-edge.service and enable it', { unit: EDGE_UNIT });
  const every = props.WatchdogUSec ?? '0';
  if (every === '0' || every === 'infinity' || every === '') {
    return result('watchdog', 'warn', 'the {unit} unit has no watchdog', 'set WatchdogSec= in the unit so systemd restarts an edge that hangs', { unit: EDGE_UNIT });
  }
  return result('watchdog', 'pass', 'watchdog on: systemd restarts a hung edge after {every}', null, { unit: EDGE_UNIT, every });
}

/** The newest complete backup under `backup.dir` is younger than two days. */
export async function checkBackups(deps: DoctorDeps): Promise<CheckResult> {
  const backup = deps.config.backup;
  if (!backup) return result('backups', 'warn', 'no backup configured', 'add backup: {dir: /path/on/another/disk} to the config and run cunbox backup daily');
  const { dir } = backup;
  const hint = 'run cunbox backup (daily, from a timer) and check that it finishes';
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => BACKUP_FOLDER.test(n));
  } catch {
    return result('backups', 'fail', 'backup directory {dir} cannot be read', 'mount the backup disk, or fix backup.dir in the config', { dir });
  }
  // Newest first by name; complete means its manifest was written.
  const newest = names
    .sort()
    .reverse()
    .map((n) => ({ name: n, manifest: join(dir, n, BACKUP_MANIFEST) }))
    .find((b) => existsSync(b.manifest));
  if (!newest) return result('backups', 'fail', 'no complete backup in {dir}', hint, { dir });
  const ageMs = (deps.now ?? Date.now)() - statSync(newest.manifest).mtimeMs;
  const vars = { dir, name: newest.name, days: (ageMs / DAY_MS).toFixed(1) };
  if (ageMs > BACKUP_MAX_AGE_MS) return result('backups', 'fail', 'the newest backup is {days} days old ({name})', hint, vars);
  return result('backups', 'pass', 'newest backup {name}, {days} days old', null, vars);
}
