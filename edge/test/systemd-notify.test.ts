import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemdNotifier, type NotifyTransport } from '@cunbox/shared';
import { silentLogger } from '../src/log.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const root = here('../..');

function recorder(): NotifyTransport & { sent: string[] } {
  const sent: string[] = [];
  return { sent, send: (m) => void sent.push(m), close: () => {} };
}

t.test('pings every WATCHDOG_USEC/2 while healthy, none while not; none for another PID', async (t) => {
  const { clock, fake } = fakeClock();
  const transport = recorder();
  let healthy = true;
  const n = new SystemdNotifier({ transport, clock, log: silentLogger(), env: { WATCHDOG_USEC: '20000000', WATCHDOG_PID: '42' }, pid: 42, healthy: () => healthy });
  t.equal(n.watchdogIntervalMs, 10_000);
  n.ready('recording 0/0 cameras');
  n.start();
  fake.tick(30_000);
  t.same(transport.sent, ['READY=1\nSTATUS=recording 0/0 cameras', 'WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1']);
  healthy = false;
  fake.tick(30_000);
  t.equal(transport.sent.length, 4, 'an unhealthy edge gets no ping: systemd restarts it');
  n.status('recording 0/0 cameras');
  n.status('recording 1/1 cameras');
  n.status('recording 1/1 cameras');
  t.same(transport.sent.slice(4), ['STATUS=recording 1/1 cameras'], 'a STATUS line only when it changed');
  n.stop();

  const other = new SystemdNotifier({ transport: recorder(), clock, log: silentLogger(), env: { WATCHDOG_USEC: '20000000', WATCHDOG_PID: '7' }, pid: 42, healthy: () => true });
  t.equal(other.watchdogIntervalMs, null, 'the watchdog is for the main PID only');
  t.equal(new SystemdNotifier({ transport: null, clock, log: silentLogger(), env: {}, pid: 1, healthy: () => true }).watchdogIntervalMs, null);
});

/** A real NOTIFY_SOCKET: a datagram listener the test owns. */
async function listener(t: Test, dir: string): Promise<{ path: string; messages: Array<{ at: number; text: string }>; proc: ChildProcess }> {
  const path = join(dir, 'notify.sock');
  const proc = spawn('python3', [here('./fixtures/notify-listener.py'), path, '120'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void proc.kill('SIGTERM'));
  const messages: Array<{ at: number; text: string }> = [];
  const lines = createInterface({ input: proc.stdout! });
  let ready: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  lines.on('line', (l) => {
    if (l === 'listening') return ready();
    const sp = l.indexOf(' ');
    messages.push({ at: Number(l.slice(0, sp)), text: l.slice(sp + 1) });
  });
  await listening;
  return { path, messages, proc };
}

t.test('over a real socket: the pings stop while the event loop is blocked, and come back', async (t) => {
  const l = await listener(t, tmpDir(t));
  const child = spawn(process.execPath, ['--import', 'tsx', here('./fixtures/notify-blocked-loop.ts')], {
    cwd: root,
    env: { ...process.env, NOTIFY_SOCKET: l.path, WATCHDOG_USEC: '200000', BLOCK_MS: '2000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  t.equal(code, 0);
  t.match(out, /block\nunblock/);
  await new Promise((r) => setTimeout(r, 300));
  const texts = l.messages.map((m) => m.text);
  t.equal(texts[0], 'READY=1|STATUS=fixture up');
  t.equal(texts[texts.length - 1], 'STOPPING=1');
  const pings = l.messages.filter((m) => m.text === 'WATCHDOG=1');
  t.ok(pings.length >= 2, `pings before and after the block (${pings.length})`);
  // The loop was blocked for 2 s: some two pings in a row must be at least that far apart
  // (a loaded machine only widens the gaps; the 100-ms cadence cannot close this one).
  const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
  t.ok(Math.max(...gaps) >= 1900, `a gap of the blocked loop's length (largest ${Math.max(...gaps)} ms)`);
  const blockedAt = l.messages.findIndex((m, i) => i > 0 && m.text === 'WATCHDOG=1' && m.at - l.messages[i - 1]!.at >= 1900);
  t.ok(blockedAt > 0 && l.messages.slice(blockedAt).some((m) => m.text === 'WATCHDOG=1'), 'pings resume once the loop runs again');
});

t.test('cunbox serve says READY with its status once started, and STOPPING on SIGTERM', async (t) => {
  const dir = tmpDir(t);
  const l = await listener(t, dir);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `data_dir: ${join(dir, 'data')}\nlog_level: warn\n`);
  const edge = spawn(process.execPath, [join(root, 'edge/bin/cunbox.js'), 'serve', '--config', config], { env: { ...process.env, NOTIFY_SOCKET: l.path, WATCHDOG_USEC: '2000000' }, stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(() => void edge.kill('SIGKILL'));
  const deadline = Date.now() + 60_000;
  while (!l.messages.some((m) => m.text.startsWith('READY=1')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.equal(l.messages[0]?.text, 'READY=1|STATUS=recording 0/0 cameras; no cloud');
  while (!l.messages.some((m) => m.text === 'WATCHDOG=1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.ok(l.messages.some((m) => m.text === 'WATCHDOG=1'), 'a healthy edge pings');
  edge.kill('SIGTERM');
  const [code] = await once(edge, 'exit');
  t.equal(code, 0);
  await new Promise((r) => setTimeout(r, 300));
  t.ok(l.messages.some((m) => m.text === 'STOPPING=1'));
});
