/**
 * kill -9 loops (issue #5, fault tests): the edge and the cloud run as their
 * own processes, started through their CLIs, while both sides commit a steady
 * stream of ops through their HTTP APIs; each is SIGKILLed and restarted three
 * times (Mosquitto run: the broker once too). Afterwards both are stopped and
 * the checker reads both databases.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { OPERATOR_TOKEN, SERVICE_PASSWORD, startMosquitto, type MosquittoProcess } from '@cunbox/test-support/brokers';
import { freePort } from '@cunbox/test-support/ports';
import { cloudDaemon, edgeCli, edgeDaemon, edgeDbFile, type Daemon } from './helpers/procs.ts';
import { assertConverged, convergeReport } from '@cunbox/test-support/converge';
import { testCloudData } from '@cunbox/test-support/cloud-store';
import { SERVICE_USER } from '../src/index.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const ADMIN_PASSWORD = 'Kill-test-correct-horse-9';

async function call(base: string, method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killRun(t: Test, brokerKind: 'aedes' | 'mosquitto'): Promise<void> {
  const dir = tmpDir(t, `cunbox-sync-kill-${brokerKind}-`);
  const t0 = Date.now();
  const cloudHttp = await freePort();
  const edgeHttp = await freePort();
  let broker: MosquittoProcess | undefined;
  if (brokerKind === 'mosquitto') {
    broker = await startMosquitto(dir);
    t.teardown(() => broker!.kill());
  }
  const mqtt = broker ? { url: broker.url, username: SERVICE_USER, password: SERVICE_PASSWORD } : { port: await freePort() };
  const cloud = cloudDaemon(t, { dir: join(dir, 'cloud'), httpPort: cloudHttp, operatorToken: OPERATOR_TOKEN, mqtt });
  await cloud.start();
  const cloudBase = `http://127.0.0.1:${cloudHttp}`;
  const op = `Bearer ${OPERATOR_TOKEN}`;
  const village = (await call(cloudBase, 'POST', '/api/villages', op, { name: '杀村' })).json as { id: number };
  const code = (await call(cloudBase, 'POST', `/api/villages/${village.id}/pair-codes`, op)).json.code as string;

  // Pairing and the first account through the edge's own CLI, as an installer would.
  const edgeDir = join(dir, 'edge');
  const credentialsFile = join(edgeDir, 'cloud-credentials.json');
  const dataDir = join(edgeDir, 'data');
  await Promise.all([
    edgeCli(['--data-dir', dataDir, 'cloud', 'pair', '--url', cloudBase, '--code', code, '--out', credentialsFile]),
    edgeCli(['--data-dir', dataDir, 'users', 'add', '--username', 'admin', '--role', 'admin'], { CUNBOX_PASSWORD: ADMIN_PASSWORD }),
  ]);
  const creds = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { edgeId: string; password: string };
  await broker?.addUser(creds.edgeId, creds.password);
  const edgeOpts = { dir: edgeDir, httpPort: edgeHttp, cloudUrl: cloudBase, edgeId: creds.edgeId, credentialsFile };
  const edge = edgeDaemon(t, edgeOpts);
  await edge.start();
  const edgeBase = `http://127.0.0.1:${edgeHttp}`;
  const login = await fetch(`${edgeBase}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  t.equal(login.status, 200, 'logged in at the edge');
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const tokenRes = await fetch(`${edgeBase}/api/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kill-test' }) });
  const edgeAuth = `Bearer ${((await tokenRes.json()) as { token: string }).token}`;
  const setupMs = Date.now() - t0;

  // The steady stream: each side commits as fast as one request at a time allows, with a short pause.
  const confirmed = new Set<string>();
  const cloudMade: string[] = [];
  const counts = { edgeOk: 0, edgeFailed: 0, cloudOk: 0, cloudFailed: 0, edgeEdits: 0 };
  let streaming = true;
  t.teardown(() => void (streaming = false)); // also when something below throws
  const edgeLoop = (async () => {
    for (let i = 0; streaming; i++) {
      try {
        // Every third request edits a ticket the cloud made (if it has arrived): both sides change the same entities.
        const target = i % 3 === 2 ? cloudMade[Math.floor(Math.random() * cloudMade.length)] : undefined;
        if (target) {
          const r = await call(edgeBase, 'PATCH', `/api/tickets/${target}`, edgeAuth, { description: `edited at the edge ${i}` });
          if (r.status === 200) counts.edgeEdits++;
        } else {
          const r = await call(edgeBase, 'POST', '/api/tickets', edgeAuth, { category: 'garbage', description: `edge ${i}`, place: '东口' });
          if (r.status === 201) (counts.edgeOk++, confirmed.add(`ticket/${r.json.ticket.id}`));
          else counts.edgeFailed++;
        }
      } catch {
        counts.edgeFailed++; // the edge is down: this request is simply lost, as a user's would be
      }
      await sleep(15);
    }
  })();
  const cloudLoop = (async () => {
    for (let i = 0; streaming; i++) {
      try {
        const r = await call(cloudBase, 'POST', `/api/villages/${village.id}/tickets`, op, { category: 'garbage', description: `cloud ${i}`, place: '西口', reporter: 'phone' });
        if (r.status === 201) (counts.cloudOk++, confirmed.add(`ticket/${r.json.ticket.id}`), cloudMade.push(r.json.ticket.id));
        else counts.cloudFailed++;
      } catch {
        counts.cloudFailed++;
      }
      await sleep(15);
    }
  })();

  // The chaos: three SIGKILLs of each process (and of the broker once), some overlapping.
  const kills = { edge: 0, cloud: 0, broker: 0 };
  const kill = async (d: Daemon) => (await d.kill(), kills[d.name as 'edge' | 'cloud']++);
  const restartTimes: number[] = [];
  const restart = async (d: Daemon) => {
    const s = Date.now();
    await d.start();
    restartTimes.push(Date.now() - s);
  };
  await sleep(1500);
  // Round 1: one after the other.
  await kill(edge);
  await sleep(300);
  await restart(edge);
  await sleep(800);
  await kill(cloud);
  await sleep(300);
  await restart(cloud);
  await sleep(800);
  // Round 2: both down at once, back at once.
  await Promise.all([kill(edge), kill(cloud)]);
  await sleep(300);
  await Promise.all([restart(edge), restart(cloud)]);
  await sleep(800);
  // Round 3: the broker too, if it is its own process; the edge dies while it is down.
  if (broker) {
    await broker.kill();
    kills.broker++;
    await sleep(300);
  }
  await kill(edge);
  await broker?.start();
  await restart(edge);
  await sleep(500);
  await kill(cloud);
  await sleep(300);
  await restart(cloud);
  await sleep(1500);
  streaming = false;
  await Promise.all([edgeLoop, cloudLoop]);

  // Settle: both running, the link up; poll the two databases until they agree (bounded).
  const settleStart = Date.now();
  const edgeFile = edgeDbFile(edgeDir);
  const cloudData = testCloudData(join(dir, 'cloud', 'data'));
  let report = await convergeReport(edgeFile, cloudData, village.id);
  while (report.problems.length > 0 && Date.now() - settleStart < 45_000) {
    await sleep(300);
    report = await convergeReport(edgeFile, cloudData, village.id);
  }
  const settleMs = Date.now() - settleStart;
  await edge.stop();
  await cloud.stop();
  const r = await assertConverged(t, edgeFile, cloudData, village.id, confirmed);
  t.same(kills, { edge: 3, cloud: 3, broker: broker ? 1 : 0 }, 'every kill happened');
  t.ok(counts.edgeOk > 20 && counts.cloudOk > 20, 'both sides kept committing between the kills');
  t.ok(counts.edgeEdits > 0, 'the edge edited tickets the cloud made');
  t.comment(
    `${brokerKind}: ${r.edgeOps} ops (${Object.values(r.perOrigin).join(' + ')} by origin), ${r.entities} entities; confirmed ${counts.edgeOk} edge + ${counts.cloudOk} cloud creates, ${counts.edgeEdits} edge edits; ` +
      `failed requests ${counts.edgeFailed} edge / ${counts.cloudFailed} cloud; restarts ${restartTimes.map((x) => `${(x / 1000).toFixed(1)}s`).join(' ')}; ` +
      `converged ${(settleMs / 1000).toFixed(1)} s after the stream stopped; setup ${(setupMs / 1000).toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

t.test('kill -9 of edge and cloud in loops, embedded Aedes (dies with the cloud)', (t) => killRun(t, 'aedes'));
t.test('kill -9 of edge, cloud and Mosquitto in loops', (t) => killRun(t, 'mosquitto'));
