// Op ack latency while a photo uploads: the real Cloud (embedded Aedes, tus)
// in this process, an edge's OpStore, SyncClient and MediaUploader beside it,
// on loopback. A ticket with a 6 MiB photo goes up under a 3 MB/s cap while
// the edge commits an op every 50 ms; each op's commit → ack time is taken.
// The behaviour (acks are not queued behind the upload) is tested in
// cloud/test/media-acks.test.ts; how fast they come is measured here, where a
// busy machine shows up as a number instead of a failed test.
//
//   npx tsx scripts/bench/media-acks.ts --json bench-results/media-acks.json [--runs 3]
//
// JSON keys: runs, upload_s, ops_during_upload, baseline_p50_ms, baseline_max_ms,
// during_p50_ms, during_p95_ms, during_max_ms, photo_op_ack_ms, goals
// (targets: during_p95_ms < 400, during_max_ms < 1000, photo_op_ack_ms < 1000), goals_met.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { aedesRig } from '@cunbox/test-support/brokers';
import { uploadWhileCommitting } from '@cunbox/test-support/media-acks-run';
import { percentile } from './proc-stats.ts';

const { values } = parseArgs({ options: { json: { type: 'string' }, runs: { type: 'string', default: '3' } } });
const RUNS = Math.max(1, Number(values.runs));

const baseline: number[] = [];
const during: number[] = [];
const photo: number[] = [];
const uploadS: number[] = [];
let opsDuring = 0;
for (let i = 0; i < RUNS; i++) {
  // A fresh cloud and edge each run: nothing carried over between them.
  const dir = mkdtempSync(join(tmpdir(), 'cunbox-bench-media-acks-'));
  const rig = await aedesRig(dir);
  try {
    const run = await uploadWhileCommitting(rig, dir);
    baseline.push(...run.baselineMs);
    during.push(...run.duringMs);
    photo.push(run.photoMs);
    uploadS.push(run.uploadS);
    opsDuring += run.duringSeqs.length;
    await run.close();
  } finally {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const goals = { during_p95_ms: 400, during_max_ms: 1000, photo_op_ack_ms: 1000 };
const result = {
  runs: RUNS,
  upload_s: Math.round(percentile(uploadS, 50) * 100) / 100,
  ops_during_upload: opsDuring,
  baseline_p50_ms: percentile(baseline, 50),
  baseline_max_ms: Math.max(...baseline),
  during_p50_ms: percentile(during, 50),
  during_p95_ms: percentile(during, 95),
  during_max_ms: Math.max(...during),
  photo_op_ack_ms: Math.max(...photo),
  goals,
  goals_met: false,
};
result.goals_met = result.during_p95_ms < goals.during_p95_ms && result.during_max_ms < goals.during_max_ms && result.photo_op_ack_ms < goals.photo_op_ack_ms;
const text = JSON.stringify(result, null, 2);
console.log(text);
if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, `${text}\n`);
}
