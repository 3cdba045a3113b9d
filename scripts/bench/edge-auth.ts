/**
 * Wrong edge passwords against the cloud, as an attacker who knows a real
 * edge id would send them. The cloud runs as in production, in its own
 * process (`cunbox-cloud serve`, default limits).
 *
 *   npx tsx scripts/bench/edge-auth.ts --json bench-results/edge-auth.json [--attempts 40]
 *
 * Measures an unrelated request (the operator's ticket list) alone
 * (baseline_ms, median of 20), then the same request sent one after another
 * while `--attempts` wrong HTTP Basic logins on /api/media/claims are in
 * flight at once (during_burst_p50/max_ms), how long the burst took, and what
 * it was answered (401: checked with scrypt; 429: refused by the limits
 * without a check).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startCloudProcess } from './cloud-process.ts';

const { values } = parseArgs({ options: { json: { type: 'string' }, attempts: { type: 'string', default: '40' } } });
const attempts = Number(values.attempts);
const { dir, httpPort, token, child: cloud } = await startCloudProcess('cunbox-bench-edge-auth-', 'error');
const base = `http://127.0.0.1:${httpPort}`;
const operator = (method: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

try {
  for (let i = 0; ; i++) {
    if (await fetch(`${base}/api/pair`, { method: 'POST' }).then(() => true, () => false)) break;
    if (i > 200) throw new Error('cloud did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const village = (await (await operator('POST', '/api/villages', { name: 'bench' })).json()) as { id: number };
  const { code } = (await (await operator('POST', `/api/villages/${village.id}/pair-codes`)).json()) as { code: string };
  const { edgeId } = (await (await fetch(`${base}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })).json()) as { edgeId: string };
  const timed = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await operator('GET', `/api/villages/${village.id}/tickets`);
    await res.arrayBuffer();
    return performance.now() - t0;
  };
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) samples.push(await timed());
  samples.sort((a, b) => a - b);
  const baselineMs = samples[10]!;

  const t0 = performance.now();
  const burst = Promise.all(
    Array.from({ length: attempts }, (_, i) =>
      fetch(`${base}/api/media/claims`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${edgeId}:wrong-${i}`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sha256: 'a'.repeat(64), size: 10, kind: 'bench', ref: 'r1' }),
      }).then(async (r) => (await r.arrayBuffer(), r.status)),
    ),
  );
  let done = false;
  void burst.then(() => (done = true));
  const during: number[] = [];
  while (!done) during.push(await timed());
  const statuses = await burst;
  const burstMs = performance.now() - t0;
  during.sort((a, b) => a - b);
  const result = {
    attempts,
    baseline_ms: Number(baselineMs.toFixed(1)),
    during_burst_p50_ms: Number(during[Math.floor(during.length / 2)]!.toFixed(1)),
    during_burst_max_ms: Number(during.at(-1)!.toFixed(1)),
    during_burst_requests: during.length,
    burst_ms: Number(burstMs.toFixed(0)),
    answered_401: statuses.filter((s) => s === 401).length,
    answered_429: statuses.filter((s) => s === 429).length,
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  cloud.kill('SIGTERM');
  await new Promise((r) => cloud.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
