/**
 * What serving costs: CPU of the simulator while N cameras each feed one
 * `ffmpeg -c copy` recorder, as % of one core. Not a test (no assertions).
 *
 *   npx tsx scripts/camsim/cpu-bench.ts [cameras=64] [seconds=20] [main|sub]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCamsim } from './camsim.ts';

const cameras = Number(process.argv[2] ?? 64);
const seconds = Number(process.argv[3] ?? 20);
const stream = process.argv[4] === 'sub' ? 'sub' : 'main';
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  // The command name may contain spaces; the fields after ')' are fixed.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

async function measure(pids: number[], forSeconds: number): Promise<number> {
  const sum = () => pids.reduce((acc, pid) => acc + cpuSeconds(pid), 0);
  const before = sum();
  const started = performance.now();
  await sleep(forSeconds * 1000);
  const wall = (performance.now() - started) / 1000;
  return ((sum() - before) / wall) * 100;
}

const sim = await startCamsim({ cameras });
const recorders: ChildProcess[] = [];
try {
  const idle = await measure([sim.pid], 5);
  for (const cam of sim.cameras) {
    recorders.push(spawn('ffmpeg', [
      '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', cam.authUrl(stream),
      '-c', 'copy', '-f', 'mpegts', '-y', '/dev/null',
    ], { stdio: 'ignore' }));
  }
  await sleep(5_000); // let every session get past SETUP/PLAY
  const states = await sim.control.state();
  const playing = states.filter((s) => s.rtspClients > 0).length;
  const framesBefore = states.reduce((acc, s) => acc + s.streams[stream].framesOut, 0);
  const recorderPids = recorders.flatMap((r) => (r.pid === undefined ? [] : [r.pid]));
  const [serving, recording] = await Promise.all([measure([sim.pid], seconds), measure(recorderPids, seconds)]);
  const framesAfter = (await sim.control.state()).reduce((acc, s) => acc + s.streams[stream].framesOut, 0);
  console.log(JSON.stringify({
    cameras,
    stream,
    seconds,
    playing,
    camsimIdlePctOfCore: Number(idle.toFixed(1)),
    camsimServingPctOfCore: Number(serving.toFixed(1)),
    recordersPctOfCore: Number(recording.toFixed(1)),
    framesPerSecondServed: Math.round((framesAfter - framesBefore) / seconds),
    camsimRssMiB: rssMiB(sim.pid),
  }));
} finally {
  for (const r of recorders) r.kill('SIGKILL');
  await sim.stop();
}
