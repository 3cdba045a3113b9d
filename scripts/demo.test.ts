/**
 * `npm start` end to end: the demo as a user runs it (its own process, real
 * simulator, cloud and edge), on free ports and a scratch directory. A ticket
 * filed on the edge reaches the cloud and one filed on the cloud reaches the
 * edge, which proves the demo paired the edge; SIGINT stops everything.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { freePort } from '@cunbox/test-support/ports';

async function until<T>(what: string, fn: () => Promise<T | undefined>, boundMs = 60_000): Promise<T> {
  const end = Date.now() + boundMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t.test('npm start runs the simulator, the cloud and a paired edge', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cunbox-demo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [edgePort, cloudPort, mqttPort] = [await freePort(), await freePort(), await freePort()];
  const demo = spawn(process.execPath, ['--import=tsx', join(import.meta.dirname, 'demo.ts')], {
    env: { ...process.env, CUNBOX_DEMO_DIR: dir, CUNBOX_DEMO_CAMERAS: '2', CUNBOX_DEMO_PORT: String(edgePort), CUNBOX_DEMO_CLOUD_PORT: String(cloudPort), CUNBOX_DEMO_MQTT_PORT: String(mqttPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  demo.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  demo.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
  t.teardown(() => void demo.kill('SIGKILL'));

  await until('the demo to print its URLs', async () => (/Ctrl-C stops the demo/.test(stdout) ? true : undefined), 120_000).catch((err: Error) => {
    throw new Error(`${err.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  });
  t.match(stdout, new RegExp(`API: +http://127\\.0\\.0\\.1:${edgePort}/docs`), 'prints the edge API');
  t.match(stdout, new RegExp(`web: +http://127\\.0\\.0\\.1:${edgePort}/ `), 'prints the browser app');
  t.match(stdout, new RegExp(`cloud: +http://127\\.0\\.0\\.1:${cloudPort} \\(village \\d+, edge [0-9a-f]{16}`), 'prints the cloud and the pairing');
  const villageId = Number(/village (\d+)/.exec(stdout)?.[1]);
  const token = readFileSync(join(dir, 'cloud', 'operator-token'), 'utf8').trim();

  // Edge side: the demo login (a random password, printed), then a ticket.
  const password = /demo login: admin \/ (\S+)\)/.exec(stdout)?.[1] ?? '';
  t.match(password, /^Demo-[A-Za-z0-9_-]{16}$/, 'prints a random demo password');
  const loginAs = (pw: string) => fetch(`http://127.0.0.1:${edgePort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: pw }) });
  t.equal((await loginAs('cunbox-demo')).status, 401, 'no default password');
  const login = await loginAs(password);
  t.equal(login.status, 200, 'demo login works');
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const edgeApi = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${edgePort}${path}`, { ...init, headers: { cookie, 'content-type': 'application/json', ...init.headers } });
  const filed = await edgeApi('/api/tickets', { method: 'POST', body: JSON.stringify({ category: 'garbage', description: '东口垃圾堆放', place: '东口' }) });
  t.equal(filed.status, 201, 'ticket filed on the edge');

  const cloudApi = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${cloudPort}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
  const atCloud = await until('the edge ticket at the cloud', async () => {
    const r = (await (await cloudApi(`/api/villages/${villageId}/tickets`)).json()) as { tickets: Array<{ description: string }> };
    return r.tickets.find((x) => x.description === '东口垃圾堆放');
  });
  t.ok(atCloud, 'edge → cloud');

  const fromPhone = await cloudApi(`/api/villages/${villageId}/tickets`, { method: 'POST', body: JSON.stringify({ category: 'parking', description: '西口乱停车', place: '西口' }) });
  t.equal(fromPhone.status, 201, 'ticket filed on the cloud');
  const atEdge = await until('the cloud ticket at the edge', async () => {
    const r = (await (await edgeApi('/api/tickets')).json()) as { tickets?: Array<{ description: string }>; items?: Array<{ description: string }> };
    return (r.tickets ?? r.items ?? []).find((x) => x.description === '西口乱停车');
  });
  t.ok(atEdge, 'cloud → edge');

  // The operator's command the demo prints, run as printed: the paired edge, online, nothing left to send.
  const operatorLine = /operator: node (cloud\/bin\/cunbox-cloud\.js .+)$/m.exec(stdout)?.[1];
  t.ok(operatorLine, 'prints an operator command, not curl');
  const edges = await until('the edge online in cunbox-cloud edges', async () => {
    const child = spawn(process.execPath, [...operatorLine!.split(' '), '--json'], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const list = code === 0 ? (JSON.parse(out) as Array<{ villageId: number; online: boolean; downPending: number }>) : [];
    return list.find((e) => e.villageId === villageId && e.online && e.downPending === 0);
  });
  t.ok(edges, 'cunbox-cloud edges shows the demo edge online');

  demo.kill('SIGINT');
  t.equal(await exited, 0, 'SIGINT stops the demo cleanly');
  t.match(stdout, /stopped\./);
  const edgeLog = readFileSync(join(dir, 'edge.log'), 'utf8');
  t.notMatch(edgeLog, /indexing a segment failed|database connection is not open/, 'every last segment indexed before the database closed');
});
