/**
 * How the edge stops: in an order that indexes every camera's last segment,
 * within a deadline, and without ever starting an ffmpeg again once the stop
 * has begun, even when the cloud goes away at the same moment.
 */
import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ProcessHandle, Spawner } from '../src/ffmpeg/process.ts';
import { run } from '../src/cli/main.ts';
import { join } from 'node:path';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { fakeSpawner } from './helpers/fake-ffmpeg.ts';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { waitFor } from '@cunbox/test-support/wait';
import { TcpProxy } from '@cunbox/test-support/proxy';

/** Resolves to 'timeout' when `p` has not settled within `ms` (a bound for a hang, not a latency goal). */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

t.test('edge and cloud stopped at the same moment: the stop ends and no ffmpeg starts after it began', async (t) => {
  const dir = tmpDir(t, 'cunbox-edge-stop-');
  const { cloud, url: cloudUrl, villageWithCode } = await startTestCloud(t, dir);
  const { code } = await villageWithCode('东村');
  const edgeDir = join(dir, 'edge');
  t.equal((await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', cloudUrl, '--code', code])).code, 0);
  const credFile = join(edgeDir, 'cloud-credentials.json');
  const cred = JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string; mqttUrl: string };
  // The edge reaches the broker through a proxy the test can cut, as the cloud's going away does.
  const broker = new URL(cred.mqttUrl);
  const proxy = new TcpProxy({ host: broker.hostname, port: Number(broker.port) });
  await proxy.start();
  t.teardown(() => proxy.stop());
  writeFileSync(credFile, JSON.stringify({ ...cred, mqttUrl: `mqtt://127.0.0.1:${proxy.port}` }), { mode: 0o600 });
  const { spawner, spawned } = fakeSpawner((p) => setImmediate(() => p.opened()));
  const yaml = [
    `data_dir: ${edgeDir}`,
    'retention:',
    '  min_free_bytes: 0',
    '  min_free_percent: 0',
    'cloud:',
    `  url: ${cloudUrl}`,
    `  edge_id: ${JSON.stringify(cred.edgeId)}`,
    `  credentials_file: ${credFile}`,
    'cameras:',
    '  - name: 东口',
    '    main: rtsp://127.0.0.1:8554/main',
    '',
  ].join('\n');
  const edge = new Edge({ config: parseConfig(yaml), log: silentLogger(), spawner });
  await edge.start();
  await waitFor('sync connected', () => edge.sync?.connected === true);
  t.equal(spawned.length, 1, 'one ffmpeg recording');

  // What SIGTERM to the whole unit does: ffmpeg quits by itself, the cloud's broker
  // goes away, and the edge is told to stop, all at once.
  spawned[0]!.exit(255);
  proxy.set('drop');
  const stopping = Promise.all([edge.stop(), cloud.stop()]);
  t.not(await within(stopping, 30_000), 'timeout', 'the edge stopped');
  await new Promise((r) => setTimeout(r, 2_500)); // longer than the first restart backoff
  t.equal(spawned.length, 1, 'no ffmpeg started after the stop began');
});

/** A child stuck where no signal reaches it (uninterruptible sleep on a dead disk): it never exits. */
function stuckSpawner(): { spawner: Spawner; signals: string[]; release: () => void } {
  const signals: string[] = [];
  const children: EventEmitter[] = [];
  const spawner: Spawner = () => {
    const child = new EventEmitter() as EventEmitter & ProcessHandle;
    const stdio = [new PassThrough(), new PassThrough(), new PassThrough(), new PassThrough()];
    Object.assign(child, { pid: 1 << 22, stdin: stdio[0], stdio, kill: (sig: string) => (signals.push(sig), true) });
    children.push(child);
    return child;
  };
  /** The disk comes back: the children finally exit. */
  const release = () => children.forEach((c) => c.emit('exit', null, 'SIGKILL'));
  return { spawner, signals, release };
}

t.test('a stop that cannot finish ends at its deadline and says what was pending', async (t) => {
  const dir = tmpDir(t, 'cunbox-edge-stuck-');
  const { spawner, signals, release } = stuckSpawner();
  const yaml = [`data_dir: ${dir}`, 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', '  - name: 东口', '    main: rtsp://127.0.0.1:8554/main', ''].join('\n');
  const edge = new Edge({ config: parseConfig(yaml), log: silentLogger(), spawner });
  await edge.start();
  const report = await within(edge.stop(1_500), 30_000);
  t.not(report, 'timeout', 'stop returned');
  t.same(report, { pending: ['recorders (last segments)', 'cameras 1'] }, 'names the step and the camera');
  t.same(signals, [], 'within the deadline, only q had been sent');
  release();
  t.same(await edge.stop(), { pending: [] }, 'once the child is gone the stop completes');
});

t.test('cunbox serve exits non-zero when its stop misses stop_timeout_seconds', async (t) => {
  const dir = tmpDir(t, 'cunbox-serve-stuck-');
  // An "ffmpeg" that ignores q and SIGTERM: only SIGKILL, 2 × 3 s after q, ends it.
  const fake = join(dir, 'stubborn-ffmpeg');
  writeFileSync(fake, "#!/bin/sh\ntrap '' TERM INT\nwhile :; do sleep 0.2; done\n");
  chmodSync(fake, 0o755);
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, [`data_dir: ${join(dir, 'data')}`, 'stop_timeout_seconds: 1', 'log_level: info', 'recording:', `  ffmpeg: ${fake}`, 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', '  - name: 东口', '    main: rtsp://127.0.0.1:8554/main', ''].join('\n'));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let logs = '';
  stdout.on('data', (d) => (logs += d));
  const exits: number[] = [];
  // The log goes to the process's stdout (pino); capture it there.
  const write = process.stdout.write.bind(process.stdout);
  (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array) => ((logs += String(chunk)), true);
  let code: number;
  try {
    code = await run(['serve', '--config', configFile], { stdout, stderr, env: {}, shutdownSignal: () => new Promise((r) => setTimeout(() => r('SIGTERM'), 1_000)), exit: (c) => void exits.push(c) });
  } finally {
    (process.stdout as { write: unknown }).write = write;
  }
  t.equal(code, 1, 'exit status 1');
  t.same(exits, [1], 'the process is ended, not left hanging on the stuck parts');
  t.match(logs, /stop deadline passed with work pending: recorders \(last segments\); cameras 1/, 'the log says what was pending');
  await new Promise((r) => setTimeout(r, 8_000)); // let SIGKILL end the stand-in before the directory goes
});
