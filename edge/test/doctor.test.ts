// `cunbox doctor` on a box made by `cunbox init`: real ffmpeg, real disk,
// real database, real TCP. Tools a test cannot set up for real (timedatectl's
// answer, an old ffmpeg) are small scripts put first on PATH.
import t, { type Test } from 'tap';
import { appendFileSync, chmodSync, mkdirSync, openSync, writeSync, closeSync, writeFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';
import { freePort } from '@cunbox/test-support/ports';
import { lanAddresses } from '../src/config/listen.ts';
import { parseConfig } from '../src/config/load.ts';
import { checkApi } from '../src/doctor/checks.ts';

interface Check {
  id: string;
  verdict: 'pass' | 'warn' | 'fail';
  message: string;
  hint: string | null;
  details: string[];
}

function fakeBin(t: Test, scripts: Record<string, string>): string {
  const dir = join(tmpDir(t), 'bin');
  mkdirSync(dir);
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

async function listen(): Promise<Server> {
  const srv = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return srv;
}

const portOf = (s: Server) => (s.address() as AddressInfo).port;

/** A box made by init; its API on a port nothing else uses (init's 8080 may be taken on a shared machine). */
async function initBox(t: Test, listen?: string) {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  const data = join(dir, 'data');
  const r = await cli(['init', '--config', cfg, '--data-dir', data, '--admin-user', 'admin', '--admin-password', 'doctor-test-1', '--listen', listen ?? `0.0.0.0:${await freePort()}`]);
  t.equal(r.code, 0, 'init', { err: r.err });
  return { dir, cfg, data };
}

// smartctl 7's JSON for a healthy SATA disk, and systemctl's answer for a unit with a watchdog.
const SMARTCTL_PASSED = `echo '{"json_format_version":[1,0],"smartctl":{"version":[7,3],"exit_status":0},"device":{"name":"/dev/sda","type":"sat","protocol":"ATA"},"smart_status":{"passed":true}}'`;
const SYSTEMCTL_WATCHDOG = "printf 'WatchdogUSec=30s\\nLoadState=loaded\\n'";

const verdicts = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c.verdict]));

t.test('a healthy box: every check passes, exit 0', async (t) => {
  const { cfg } = await initBox(t);
  const camera = await listen();
  t.teardown(() => camera.close());
  const add = await cli(['cameras', 'add', '--config', cfg, '--name', 'gate', '--rtsp', `rtsp://127.0.0.1:${portOf(camera)}/main`, '--no-probe']);
  t.equal(add.code, 0);
  const bin = fakeBin(t, { timedatectl: 'echo yes', smartctl: SMARTCTL_PASSED, systemctl: SYSTEMCTL_WATCHDOG });
  // Last night's backup, complete (its manifest written).
  const backups = join(tmpDir(t), 'backups');
  mkdirSync(join(backups, 'cunbox-backup-20261130-030000'), { recursive: true });
  writeFileSync(join(backups, 'cunbox-backup-20261130-030000', 'manifest.json'), '{}');
  appendFileSync(cfg, `backup:\n  dir: ${backups}\n`);
  const port = await freePort();
  const r = await cli(['doctor', '--config', cfg, '--port', String(port), '--json'], { PATH: `${bin}:${process.env.PATH}` });
  t.equal(r.code, 0, 'exit 0', { out: r.out, err: r.err });
  const checks = JSON.parse(r.out) as Check[];
  t.same(checks.map((c) => c.id), ['ffmpeg', 'disk', 'time', 'cameras', 'database', 'ports', 'api', 'disk-health', 'inodes', 'watchdog', 'backups']);
  // The API listens on every interface; a machine with no address besides loopback can only warn.
  const api = lanAddresses().length > 0 ? 'pass' : 'warn';
  t.same(verdicts(checks), { ffmpeg: 'pass', disk: 'pass', time: 'pass', cameras: 'pass', database: 'pass', ports: 'pass', api, 'disk-health': 'pass', inodes: 'pass', watchdog: 'pass', backups: 'pass' });
  t.match(checks[0]!.message, /^ffmpeg and ffprobe \d+\.\d+/);
  t.match(checks[1]!.message, /GiB free of [\d.]+ GiB \(ext4|xfs|btrfs|overlay|tmpfs/);
  t.match(checks[3]!.message, '1 of 1 cameras reachable');

  const text = await cli(['doctor', '--config', cfg, '--port', String(port)], { PATH: `${bin}:${process.env.PATH}`, LANG: 'zh_CN.UTF-8' });
  t.equal(text.code, 0);
  t.match(text.out, /✓ 通过 +时间同步 +时钟已同步（systemd）/);
  t.match(text.out, /✓ 通过 +看门狗 +看门狗已开启：edge 卡死 30s 后由 systemd 重启/);
  t.match(text.out, /✓ 通过 +备份 +最新备份 cunbox-backup-20261130-030000，0\.0 天前/);
  t.match(text.out, api === 'pass' ? /失败 0 项，警告 0 项，通过 11 项/ : /失败 0 项，警告 1 项，通过 10 项/);
});

t.test('what is wrong, each with its fix; exit 1', async (t) => {
  const busy = await listen();
  t.teardown(() => busy.close());
  // The API port of the config is taken by another program, and on loopback.
  const { cfg } = await initBox(t, `127.0.0.1:${portOf(busy)}`);
  const dead = await freePort();
  await cli(['cameras', 'add', '--config', cfg, '--name', '东口', '--rtsp', `rtsp://127.0.0.1:${dead}/main`, '--no-probe']);
  const bin = fakeBin(t, {
    timedatectl: 'echo no',
    ffmpeg: 'echo "ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021 the FFmpeg developers"',
    smartctl: SMARTCTL_PASSED,
    // What systemctl says in a container.
    systemctl: `echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2; exit 1`,
  });
  const r = await cli(['doctor', '--config', cfg, '--json'], { PATH: `${bin}:${process.env.PATH}` });
  t.equal(r.code, 1);
  const checks = JSON.parse(r.out) as Check[];
  const by = Object.fromEntries(checks.map((c) => [c.id, c]));
  t.match(by.ffmpeg, { verdict: 'fail', message: 'ffmpeg 4.4.2-0ubuntu0.22.04.1 is too old (need 5 or newer)', hint: /RTSP -timeout/ });
  t.match(by.time, { verdict: 'fail', message: 'clock not synchronised with NTP', hint: /timedatectl set-ntp true/ });
  t.match(by.cameras, { verdict: 'fail', message: '0 of 1 cameras reachable', hint: /cunbox cameras test/ });
  t.match(by.cameras!.details, [new RegExp(`^#1 东口 127\\.0\\.0\\.1:${dead}: ECONNREFUSED$`)]);
  t.match(by.ports, { verdict: 'fail', message: `ports in use by another program: ${portOf(busy)}` });
  t.match(by.ports!.details, [new RegExp(`${portOf(busy)} \\(HTTP API\\): node \\(pid ${process.pid}\\)`)], 'the program holding the port is named');
  t.equal(by.database!.verdict, 'pass');
  t.match(by.api, { verdict: 'fail', message: `the HTTP API listens on 127.0.0.1:${portOf(busy)} only: the office PC and phones cannot reach it`, hint: /http\.host to 0\.0\.0\.0/ });

  const text = await cli(['doctor', '--config', cfg], { PATH: `${bin}:${process.env.PATH}` });
  t.equal(text.code, 1);
  t.match(text.out, /✗ fail +time sync +clock not synchronised with NTP\n {4}→ enable NTP/);
  t.match(by.watchdog, { verdict: 'warn', message: /cannot tell/ });
  t.match(by.backups, { verdict: 'warn', message: 'no backup configured' });
  t.match(text.out, /5 failed, 2 warnings, 4 passed/);
});

t.test('no data directory, a damaged database', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, `data_dir: ${join(dir, 'nothing-here')}\n`);
  const none = await cli(['doctor', '--config', cfg, '--port', String(await freePort()), '--json']);
  t.equal(none.code, 1);
  const byId = Object.fromEntries((JSON.parse(none.out) as Check[]).map((c) => [c.id, c]));
  t.match(byId.disk, { verdict: 'fail', hint: /cunbox init/ });
  t.match(byId.database, { verdict: 'fail', message: /no database at/, hint: 'run cunbox init' });

  const box = await initBox(t);
  // Enough rows for several pages, then scribble over the middle of the file.
  for (let i = 0; i < 40; i++) await cli(['cameras', 'add', '--config', box.cfg, '--name', `cam-${i}-${'x'.repeat(60)}`, '--rtsp', `rtsp://192.0.2.${i}/stream-${'y'.repeat(200)}`, '--no-probe']);
  const file = join(box.data, 'cunbox.db');
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, Math.floor(size / 4096 / 2) * 4096);
  closeSync(fd);
  const damaged = await cli(['doctor', '--config', box.cfg, '--port', String(await freePort()), '--json']);
  t.equal(damaged.code, 1);
  const db = (JSON.parse(damaged.out) as Check[]).find((c) => c.id === 'database')!;
  t.equal(db.verdict, 'fail');
  t.match(db.message, /damaged|cannot read|cannot open/);
  t.match(db.hint, /\.recover/);
});

t.test('the HTTP API: off or loopback-only fails, an address the box lacks fails, every interface passes', async (t) => {
  const { cfg, data } = await initBox(t);
  const api = async (http: string | null, LANG = 'C') => {
    writeFileSync(cfg, `data_dir: ${JSON.stringify(data)}\n${http ?? ''}`);
    const r = await cli(['doctor', '--config', cfg, '--json'], { LANG });
    return { code: r.code, check: (JSON.parse(r.out) as Check[]).find((c) => c.id === 'api')! };
  };
  // What init wrote before it asked for the address: no http: section at all.
  const off = await api(null);
  t.equal(off.code, 1, 'doctor fails');
  t.match(off.check, { verdict: 'fail', message: 'the HTTP API is off: the config has no http: section', hint: /cunbox init --listen 0\.0\.0\.0:8080/ });
  const offZh = await api(null, 'zh_CN.UTF-8');
  t.match(offZh.check, { verdict: 'fail', message: 'HTTP 接口未开启：配置中没有 http: 部分', hint: /重启 edge/ });

  // The schema's default host is loopback: unreachable from the office PC.
  const port = await freePort();
  const loop = await api(`http:\n  port: ${port}\n`);
  t.match(loop.check, { verdict: 'fail', message: `the HTTP API listens on 127.0.0.1:${port} only: the office PC and phones cannot reach it` });
  t.match((await api(`http:\n  host: localhost\n  port: ${port}\n`)).check, { verdict: 'fail' });

  const foreign = await api(`http:\n  host: 203.0.113.7\n  port: ${port}\n`);
  t.match(foreign.check, { verdict: 'fail', message: /^the HTTP API listens on 203\.0\.113\.7:\d+, an address this box does not have/ });

  const all = await api(`http:\n  host: 0.0.0.0\n  port: ${port}\n`, 'zh_CN.UTF-8');
  const lan = lanAddresses();
  if (lan.length > 0) {
    t.match(all.check, { verdict: 'pass', message: new RegExp(`^HTTP 接口监听 0\\.0\\.0\\.0:${port}；局域网访问地址：http://`) });
  } else t.match(all.check, { verdict: 'warn' });

  // One of the box's own LAN addresses (given, so nothing binds to a real one).
  const config = parseConfig(`data_dir: ${JSON.stringify(data)}\nhttp:\n  host: 192.0.2.50\n  port: 8080\n`, cfg);
  const own = await checkApi({ config, env: {}, ports: [], lanAddresses: ['192.0.2.50', 'fd00::50'] });
  t.match(own, { verdict: 'pass', vars: { urls: 'http://192.0.2.50:8080' } }, 'an address of this box passes');
  const none = await checkApi({ config: parseConfig(`data_dir: ${JSON.stringify(data)}\nhttp:\n  host: 0.0.0.0\n`, cfg), env: {}, ports: [], lanAddresses: [] });
  t.match(none, { verdict: 'warn', hint: /LAN cable/ }, 'every interface, but no LAN address: a warning');
});
