/**
 * ONVIF events benchmark: N cameras of the simulator, one PullPoint source
 * each (as the edge runs them, real clock), a motion alarm raised on every
 * camera, one after the other and then all at once. Measures how long
 * subscribing all takes, the delay from the alarm to its stored row
 * (p50/p99/max: the long poll should answer at once; the delay includes the
 * control API call into the simulator, a Python process serving N cameras),
 * and the edge process's CPU while N long polls sit idle.
 *
 *   npx tsx scripts/bench/onvif-events.ts --json docs/design/bench-onvif-events.json [--cameras 64] [--idle 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCamsim } from '../camsim/camsim.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { openDatabase } from '../../edge/src/db/database.ts';
import { EventStore } from '../../edge/src/events/event-store.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { parseOnvifAddress } from '../../edge/src/onvif/address.ts';
import { CameraEvents } from '../../edge/src/onvif/events/camera-events.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({ options: { json: { type: 'string' }, cameras: { type: 'string', default: '64' }, idle: { type: 'string', default: '20' } } });
const n = Number(values.cameras);
const idleS = Number(values.idle);
const dir = mkdtempSync(join(tmpdir(), 'cunbox-bench-onvif-events-'));
const sim = await startCamsim({ cameras: n });
const db = openDatabase(join(dir, 'cunbox.db'));
const stored = { motion: new Map<number, number>(), tamper: new Map<number, number>() };
const store = new EventStore({ db, clock: systemClock });
const sink = {
  record(cameraId: number, type: string, detail: Record<string, unknown>, atMs: number) {
    if (type === 'motion.start') stored.motion.set(cameraId, performance.now());
    if (type === 'tamper.start') stored.tamper.set(cameraId, performance.now());
    return store.record(cameraId, type, detail, atMs);
  },
};
const sources = sim.cameras.map(
  (c) => new CameraEvents({ cameraId: c.index, target: parseOnvifAddress(c.urls.onvif), credentials: { username: c.user, password: c.password }, clock: systemClock, log: silentLogger(), sink }),
);
const waitFor = async (cond: () => boolean | Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};
try {
  const t0 = performance.now();
  for (const s of sources) s.start();
  await waitFor(async () => (await sim.control.state()).every((c) => c.events?.subscriptions === 1) && sources.every((s) => s.status().received >= 4), 120_000);
  const subscribeAllMs = performance.now() - t0;

  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, idleS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const idleCpuPercent = ((cpu.user + cpu.system) / 1000 / (idleS * 1000)) * 100;

  const ms = (v: number) => Number(v.toFixed(1));
  const summary = (delays: number[]) => {
    delays.sort((a, b) => a - b);
    const at = (p: number) => ms(delays[Math.min(delays.length - 1, Math.floor(p * delays.length))]!);
    return { p50: at(0.5), p99: at(0.99), max: ms(delays.at(-1)!) };
  };
  // One alarm at a time: the delay of one notification through a long poll.
  const oneDelays: number[] = [];
  for (const c of sim.cameras) {
    const raisedAt = performance.now();
    await sim.control.event(c.index, 'motion', true);
    await waitFor(() => stored.motion.has(c.index), 10_000);
    oneDelays.push(stored.motion.get(c.index)! - raisedAt);
  }
  // Every camera at once.
  const raised = new Map<number, number>();
  await Promise.all(sim.cameras.map(async (c) => {
    raised.set(c.index, performance.now());
    await sim.control.event(c.index, 'tamper', true);
  }));
  await waitFor(() => stored.tamper.size === n, 60_000);
  const burst = sim.cameras.map((c) => stored.tamper.get(c.index)! - raised.get(c.index)!);
  printAndSave(
    {
      cameras: n,
      subscribe_all_ms: Math.round(subscribeAllMs),
      idle_seconds: idleS,
      idle_cpu_percent: Number(idleCpuPercent.toFixed(2)),
      alarm_to_row_ms_one_at_a_time: summary(oneDelays),
      alarm_to_row_ms_all_at_once: summary(burst),
    },
    values.json,
  );
} finally {
  await Promise.all(sources.map((s) => s.stop()));
  db.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
