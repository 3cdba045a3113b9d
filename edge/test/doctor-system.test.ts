// The doctor's checks of the box around cunbox, each verdict from the tools'
// real output formats (smartctl -j, timedatectl show, chronyc tracking,
// systemctl show) fed through the injected command runner; real directories
// and files for inodes and backups.
import t, { type Test } from 'tap';
import { mkdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.ts';
import { checkTime, runDoctor, type CommandRunner, type DoctorDeps, type Ran } from '../src/doctor/checks.ts';
import { blockDeviceOf, checkBackups, checkDiskHealth, checkInodes, checkWatchdog } from '../src/doctor/system-checks.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const EXT4 = 0xef53;
const DAY = 86_400_000;

/** Answers each tool with canned output; tools not listed are "not installed". */
function tools(answers: Record<string, Partial<Ran>>): { runner: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const runner: CommandRunner = async (cmd, args) => {
    calls.push([cmd, ...args]);
    const a = answers[cmd];
    return a ? { ok: true, stdout: '', missing: false, ...a } : { ok: false, stdout: '', missing: true };
  };
  return { runner, calls };
}

function deps(t: Test, extra: Partial<DoctorDeps> = {}, yaml = ''): DoctorDeps {
  const dir = tmpDir(t);
  return { config: parseConfig(`data_dir: ${dir}\n${yaml}`), env: {}, ports: [], ...extra };
}

// smartctl 7.3, `smartctl -H -j /dev/sda` on a SATA disk (abridged: argv, build and time fields).
const SMART_PASSED = JSON.stringify({
  json_format_version: [1, 0],
  smartctl: { version: [7, 3], argv: ['smartctl', '-H', '-j', '/dev/sda'], exit_status: 0 },
  device: { name: '/dev/sda', info_name: '/dev/sda [SAT]', type: 'sat', protocol: 'ATA' },
  smart_status: { passed: true },
});
// Exit status bit 3: "SMART status check returned DISK FAILING".
const SMART_FAILING = JSON.stringify({
  json_format_version: [1, 0],
  smartctl: { version: [7, 3], argv: ['smartctl', '-H', '-j', '/dev/sda'], exit_status: 8 },
  device: { name: '/dev/sda', info_name: '/dev/sda [SAT]', type: 'sat', protocol: 'ATA' },
  smart_status: { passed: false },
});
// A virtio disk in a VM: no SMART at all.
const SMART_UNKNOWN = JSON.stringify({
  json_format_version: [1, 0],
  smartctl: { version: [7, 3], argv: ['smartctl', '-H', '-j', '/dev/vda'], messages: [{ string: '/dev/vda: Unable to detect device type', severity: 'error' }], exit_status: 1 },
});

t.test('disk health: smartctl -H -j on the whole disk under the data directory', async (t) => {
  const sda = () => '/dev/sda';
  const ok = tools({ smartctl: { stdout: SMART_PASSED } });
  t.match(await checkDiskHealth(deps(t, { runCommand: ok.runner, dataDevice: sda })), { verdict: 'pass', message: 'SMART health of {device}: passed', vars: { device: '/dev/sda' } });
  t.same(ok.calls, [['smartctl', '-H', '-j', '/dev/sda']]);
  t.match(await checkDiskHealth(deps(t, { runCommand: tools({ smartctl: { ok: false, stdout: SMART_FAILING } }).runner, dataDevice: sda })), { verdict: 'fail', hint: /replace the disk/ });
  t.match(await checkDiskHealth(deps(t, { runCommand: tools({ smartctl: { ok: false, stdout: SMART_UNKNOWN } }).runner, dataDevice: () => '/dev/vda' })), {
    verdict: 'warn',
    vars: { device: '/dev/vda', reason: '/dev/vda: Unable to detect device type' },
  });
  t.match(await checkDiskHealth(deps(t, { runCommand: tools({ smartctl: { ok: false, stdout: 'smartctl 6.6 2016-05-31\nUNRECOGNIZED OPTION: j\n' } }).runner, dataDevice: sda })), { verdict: 'warn', hint: /smartctl 7/ });
  t.match(await checkDiskHealth(deps(t, { runCommand: tools({}).runner, dataDevice: sda })), { verdict: 'pass', message: 'smartctl not installed (apt install smartmontools)' });
  const none = tools({ smartctl: { stdout: SMART_PASSED } });
  t.match(await checkDiskHealth(deps(t, { runCommand: none.runner, dataDevice: () => null })), { verdict: 'pass', message: /not on a local disk/ });
  t.same(none.calls, [], 'no disk, no smartctl');
});

t.test('the disk under a directory, from its device number through sysfs', async (t) => {
  const here = blockDeviceOf(tmpDir(t));
  if (here !== null) t.match(here, /^\/dev\/[a-z0-9]+$/, `this machine's disk: ${here}`);
  t.equal(blockDeviceOf('/proc'), null, 'procfs has no disk');
  t.equal(blockDeviceOf(join(tmpDir(t), 'missing')), null);
});

t.test('inodes: warn under 10 %, fail under 2 %', async (t) => {
  const fs = (files: number, ffree: number) => async () => ({ type: EXT4, files, ffree });
  t.match(await checkInodes(deps(t, { statfs: fs(1_000_000, 500_000) })), { verdict: 'pass', vars: { percent: '50.0', fs: 'ext4' } });
  t.match(await checkInodes(deps(t, { statfs: fs(1_000_000, 50_000) })), { verdict: 'warn', vars: { free: 50_000, percent: '5.0' }, hint: /du --inodes/ });
  t.match(await checkInodes(deps(t, { statfs: fs(1_000_000, 10_000) })), { verdict: 'fail', vars: { percent: '1.0' } });
  t.match(await checkInodes(deps(t, { statfs: fs(0, 0) })), { verdict: 'pass', message: /as needed/ }, 'btrfs reports no inode limit');
  t.match(await checkInodes(deps(t)), { verdict: 'pass' }, 'the real statfs of a test directory');
});

t.test('watchdog: systemctl show cunbox-edge', async (t) => {
  const show = (stdout: string) => deps(t, { runCommand: tools({ systemctl: { stdout } }).runner });
  t.match(await checkWatchdog(show('WatchdogUSec=30s\nLoadState=loaded\n')), { verdict: 'pass', vars: { every: '30s' } });
  t.match(await checkWatchdog(show('WatchdogUSec=0\nLoadState=loaded\n')), { verdict: 'warn', message: 'the {unit} unit has no watchdog', hint: /WatchdogSec=/ });
  t.match(await checkWatchdog(show('WatchdogUSec=0\nLoadState=not-found\n')), { verdict: 'warn', message: 'the {unit} unit is not installed' });
  // What systemctl says in a container: exit 1, "System has not been booted with systemd as init system (PID 1)".
  t.match(await checkWatchdog(deps(t, { runCommand: tools({ systemctl: { ok: false } }).runner })), { verdict: 'warn', message: /cannot tell.*cannot reach systemd/ });
  t.match(await checkWatchdog(deps(t, { runCommand: tools({}).runner })), { verdict: 'warn', message: /cannot tell.*no systemctl/ });
});

t.test('time sync: timedatectl, then chronyc tracking', async (t) => {
  const tracking = (leap: string) =>
    [
      'Reference ID    : CB00710F (ntp.example.net)',
      'Stratum         : 3',
      'Ref time (UTC)  : Fri Jan 27 09:49:17 2017',
      'System time     : 0.000006523 seconds slow of NTP time',
      'Last offset     : -0.000006747 seconds',
      'Update interval : 64.2 seconds',
      `Leap status     : ${leap}`,
      '',
    ].join('\n');
  t.match(await checkTime(deps(t, { runCommand: tools({ timedatectl: { stdout: 'yes\n' } }).runner })), { verdict: 'pass', message: 'clock synchronised (systemd)' });
  t.match(await checkTime(deps(t, { runCommand: tools({ timedatectl: { stdout: 'no\n' } }).runner })), { verdict: 'fail', hint: /set-ntp/ });
  // timedatectl cannot reach systemd (a container): chrony answers.
  const chrony = tools({ timedatectl: { ok: false }, chronyc: { stdout: tracking('Normal') } });
  t.match(await checkTime(deps(t, { runCommand: chrony.runner })), { verdict: 'pass', message: 'clock synchronised (chrony)' });
  t.same(chrony.calls.map((c) => c[0]), ['timedatectl', 'chronyc']);
  t.match(await checkTime(deps(t, { runCommand: tools({ chronyc: { stdout: tracking('Not synchronised') } }).runner })), { verdict: 'fail', vars: { state: 'Not synchronised' } });
  if (!existsSync('/run/systemd/timesync/synchronized')) {
    t.match(await checkTime(deps(t, { runCommand: tools({}).runner })), { verdict: 'warn', message: /cannot tell/ }, 'neither tool: cannot tell');
  }
});

t.test('backups: the newest complete one under backup.dir is under two days old', async (t) => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);
  t.match(await checkBackups(deps(t, { now: () => now })), { verdict: 'warn', message: 'no backup configured' });

  const dir = tmpDir(t);
  const withBackups = () => deps(t, { now: () => now }, `backup:\n  dir: ${dir}\n`);
  t.match(await checkBackups(withBackups()), { verdict: 'fail', message: 'no complete backup in {dir}' });
  const backup = (name: string, ageMs: number | null) => {
    mkdirSync(join(dir, name));
    if (ageMs === null) return; // still being written: no manifest yet
    const manifest = join(dir, name, 'manifest.json');
    writeFileSync(manifest, '{}');
    utimesSync(manifest, (now - ageMs) / 1000, (now - ageMs) / 1000);
  };
  backup('cunbox-backup-20261125-030000', 5 * DAY);
  t.match(await checkBackups(withBackups()), { verdict: 'fail', vars: { name: 'cunbox-backup-20261125-030000', days: '5.0' } });
  backup('cunbox-backup-20261130-030000', 0.4 * DAY);
  backup('cunbox-backup-20261130-113000', null);
  mkdirSync(join(dir, 'lost+found'));
  t.match(await checkBackups(withBackups()), { verdict: 'pass', vars: { name: 'cunbox-backup-20261130-030000', days: '0.4' } }, 'the unfinished one does not count');
  t.match(await checkBackups(deps(t, { now: () => now }, `backup:\n  dir: ${join(dir, 'not-mounted')}\n`)), { verdict: 'fail', hint: /mount the backup disk/ });
});

t.test('the real doctor on this machine: the new rows are there, each with a verdict', async (t) => {
  const results = await runDoctor(deps(t, { env: process.env }));
  const rows = Object.fromEntries(results.map((r) => [r.id, r]));
  for (const id of ['time', 'disk-health', 'inodes', 'watchdog', 'backups']) {
    t.ok(rows[id], `${id}: ${rows[id]?.verdict} — ${rows[id]?.message}`);
    t.match(rows[id]!.verdict, /^(pass|warn|fail)$/);
  }
  t.equal(rows.inodes!.verdict, 'pass', 'a test directory has inodes to spare');
  t.match(rows.backups, { verdict: 'warn', message: 'no backup configured' });
});
