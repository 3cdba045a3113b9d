// `npm start`: the demo. A camera simulator with 8 cameras on 127.0.0.1, the
// cloud (embedded broker), and the edge recording the cameras and paired to the
// cloud; prints where footage goes, the cloud, and a live status line per camera
// plus one for sync. Data stays in var/demo/ between runs (delete it to start afresh).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { startCamsim } from './camsim/camsim.ts';
import { Edge } from '../edge/src/edge.ts';
import { parseConfig } from '../edge/src/config/load.ts';
import { createLogger } from '../edge/src/log.ts';
import { formatBitrate, formatBytes, padDisplay } from '../edge/src/cli/format.ts';
import { UserStore } from '../edge/src/auth/users.ts';
import { systemClock } from '../edge/src/clock.ts';
import { startDemoCloud } from './demo-cloud.ts';

const CAMERAS = Number(process.env.CUNBOX_DEMO_CAMERAS ?? 8);
const root = resolve(import.meta.dirname, '..');
const demoDir = resolve(process.env.CUNBOX_DEMO_DIR ?? join(root, 'var/demo'));
mkdirSync(demoDir, { recursive: true });

console.log(`cunbox demo: starting ${CAMERAS} simulated cameras…`);
const sim = await startCamsim({ cameras: CAMERAS });
console.log('cunbox demo: starting the cloud and pairing the edge…');
const cloud = await startDemoCloud(demoDir, Number(process.env.CUNBOX_DEMO_CLOUD_PORT ?? 8090), Number(process.env.CUNBOX_DEMO_MQTT_PORT ?? 18830));
const zones = ['东口', '西口', '村委会', '文化广场', '小学门口', '菜市场', '河堤', '北桥'];
const yaml = [
  `data_dir: ${join(demoDir, 'data')}`,
  'http:',
  '  host: 127.0.0.1',
  `  port: ${Number(process.env.CUNBOX_DEMO_PORT ?? 8080)}`,
  'village:',
  '  name: 演示村',
  `  verify_base_url: http://127.0.0.1:${Number(process.env.CUNBOX_DEMO_PORT ?? 8080)}`,
  'recording:',
  '  segment_seconds: 10',
  'retention:',
  '  days: 7',
  'cloud:',
  `  url: ${cloud.url}`,
  `  edge_id: ${JSON.stringify(cloud.edgeId)}`,
  `  credentials_file: ${cloud.credentialsFile}`,
  'cameras:',
  ...sim.cameras.flatMap((c, i) => [
    `  - name: 摄像头${String(i + 1).padStart(2, '0')}-${zones[i % zones.length]}`,
    `    zone: ${zones[i % zones.length]}`,
    `    main: ${c.urls.main}`,
    `    sub: ${c.urls.sub}`,
    `    user: ${c.user}`,
    `    password: ${c.password}`,
  ]),
].join('\n');
const configFile = join(demoDir, 'config.yaml');
writeFileSync(configFile, `${yaml}\n`, { mode: 0o600 });
const config = parseConfig(yaml, configFile);
const logFile = join(demoDir, 'edge.log');
const edge = new Edge({ config, log: createLogger({ level: 'info', destination: createWriteStream(logFile, { flags: 'a' }) as never }) });
await edge.start();
// A demo login for the API with a fresh random password each start, printed below: there is
// no default password anywhere (on a real box `cunbox init` asks for one).
const users = new UserStore({ db: edge.db, clock: systemClock });
const demoPassword = `Demo-${randomBytes(12).toString('base64url')}`;
const demoAdmin = users.getByUsername('admin');
if (demoAdmin) await users.setPassword(demoAdmin.id, demoPassword);
else await users.create({ username: 'admin', password: demoPassword, role: 'admin', displayName: '演示管理员' });
const api = `http://127.0.0.1:${edge.http!.address.port}`;

console.log(`config:   ${configFile}`);
console.log(`footage:  ${edge.layout.recordings}/<camera id>/<UTC date>/`);
console.log(`log:      ${logFile}`);
console.log(`web:      ${api}/  (demo login: admin / ${demoPassword})${edge.http!.app.hasRoute({ method: 'GET', url: '/' }) ? '' : ' — not built yet: run npm run build'}`);
console.log(`API:      ${api}/docs`);
console.log(`playback: ${api}/api/timeline?from=${Date.now() - 3_600_000}&to=${Date.now() + 3_600_000}`);
console.log(`CLI:      node edge/bin/cunbox.js storage status --config ${configFile}`);
console.log(`cloud:    ${cloud.url} (village ${cloud.villageId}, edge ${cloud.edgeId}; operator token in ${cloud.tokenFile}; log ${join(demoDir, 'cloud.log')})`);
console.log(`operator: node cloud/bin/cunbox-cloud.js edges --url ${cloud.url} --token-file ${cloud.tokenFile}`);
console.log(`sync:     node edge/bin/cunbox.js cloud status --config ${configFile}`);
console.log('Ctrl-C stops the demo.\n');

const tty = process.stdout.isTTY;
let lines = 0;
function render(): void {
  const rows = edge.db
    .prepare('SELECT camera_id AS id, COUNT(*) AS n, SUM(bytes) AS bytes, SUM(end_ms - start_ms) AS ms FROM segments GROUP BY camera_id')
    .all() as Array<{ id: number; n: number; bytes: number; ms: number }>;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const now = Date.now();
  const out = edge.cameraStatus().map((s) => {
    const r = byId.get(s.cameraId);
    const rate = r && r.ms > 0 ? formatBitrate((r.bytes * 8 * 1000) / r.ms) : '-';
    const last = s.lastSegmentAt ? `${Math.round((now - s.lastSegmentAt) / 1000)}s ago` : '-';
    const err = s.lastError ? `  ${s.lastError.message}` : '';
    return `#${String(s.cameraId).padEnd(3)} ${padDisplay(s.name, 22)} ${s.state.padEnd(11)} segments ${String(r?.n ?? 0).padStart(4)}  ${formatBytes(r?.bytes ?? 0).padStart(10)}  ${rate.padStart(12)}  last ${last}${err}`;
  });
  const sync = edge.sync?.status();
  if (sync) {
    out.push(
      `sync ${sync.connected ? 'connected   ' : 'reconnecting'} ops ${sync.opsAcked} confirmed, ${sync.opsPending} waiting; events ${sync.eventsPending} waiting; from the cloud ${sync.appliedSeq} ops`,
    );
  }
  if (tty && lines > 0) process.stdout.write(`\x1b[${lines}A`);
  for (const l of out) process.stdout.write(`${tty ? '\x1b[2K' : ''}${l}\n`);
  if (!tty) process.stdout.write('\n');
  lines = out.length;
}
const timer = setInterval(render, tty ? 1000 : 10_000);
render();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  console.log(`\n${signal}: stopping the edge (closing every camera's last segment) and the cloud…`);
  // The edge first: its cameras' last segments are indexed while the simulator still serves them.
  const { pending } = await edge.stop();
  await cloud.cloud.stop();
  await sim.stop();
  if (pending.length > 0) {
    console.log(`stop deadline passed with work pending: ${pending.join('; ')}`);
    process.exit(1);
  }
  console.log('stopped.');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
