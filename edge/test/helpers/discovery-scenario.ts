/**
 * Runs inside a private network namespace (see netns.ts; never start it
 * elsewhere: it answers WS-Discovery and probes by multicast). Starts camsim
 * with discovery, a responder that answers every probe with malformed
 * datagrams, then the technician's flow through the real CLI as child
 * processes: discover → import → test → discover. Prints one JSON line.
 *
 *   discovery-scenario.ts CAMERAS DATA_DIR WORK_DIR
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { startCamsim } from '../../../scripts/camsim/camsim.ts';
import { openDatabase } from '../../src/db/database.ts';
import { CameraRegistry } from '../../src/cameras/registry.ts';
import { systemClock } from '../../src/clock.ts';

const BIN = fileURLToPath(new URL('../../bin/cunbox.js', import.meta.url));
const [count = '64', dataDir = '', work = ''] = process.argv.slice(2);

// Refuse to run anywhere but a namespace whose only interface is loopback.
const ifaces = Object.keys(networkInterfaces());
if (ifaces.length !== 1 || ifaces[0] !== 'lo') {
  process.stderr.write(`discovery-scenario: not in a private namespace (interfaces: ${ifaces.join(', ')}); refusing to send multicast\n`);
  process.exit(2);
}

interface Run {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cunbox(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LANG: 'C', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ args, code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Answers every probe with replies no camera should send. */
function garbageResponder() {
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  const env = (body: string) =>
    `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Body>${body}</s:Body></s:Envelope>`;
  const replies: Buffer[] = [
    Buffer.from([0, 1, 2, 0xff, 0xfe]),
    Buffer.from('<?xml version="1.0"?><env:Envelope xmlns:env="x"><env:Body><tds:Get\u0000Response>&bogus;</env:Bod'),
    Buffer.from(env('<d:Hello/>')),
    Buffer.from(env('<d:ProbeMatches><d:ProbeMatch><d:XAddrs>http://127.0.0.1:1/x</d:XAddrs></d:ProbeMatch></d:ProbeMatches>')),
    Buffer.from(env('<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:bad-1</a:Address></a:EndpointReference><d:XAddrs>not a url</d:XAddrs></d:ProbeMatch></d:ProbeMatches>')),
    Buffer.from(env('<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:bad-2</a:Address></a:EndpointReference></d:ProbeMatch></d:ProbeMatches>')),
    Buffer.from(env('<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:bad-3</a:Address></a:EndpointReference><d:XAddrs></d:XAddrs><d:Scopes></d:Scopes></d:ProbeMatch></d:ProbeMatches>')),
    Buffer.alloc(60_000, 0x3c),
  ];
  sock.on('message', (_m, peer) => {
    for (const r of replies) sock.send(r, peer.port, peer.address);
  });
  return new Promise<{ sent: number; close: () => void }>((resolve) =>
    sock.bind(3702, '239.255.255.250', () => {
      sock.addMembership('239.255.255.250', '127.0.0.1');
      resolve({ sent: replies.length, close: () => sock.close() });
    }),
  );
}

const sim = await startCamsim({ cameras: Number(count), discovery: true, discoveryIface: '127.0.0.1' });
const garbage = await garbageResponder();
try {
  // Two cameras the technician added before: discover must say so.
  const db = openDatabase(join(dataDir, 'cunbox.db'));
  const registry = new CameraRegistry({ db, clock: systemClock });
  for (const i of [3, 10]) {
    const c = sim.cameras[i]!;
    registry.add({ name: `已装-${i}`, mainUrl: c.urls.main, username: c.user, password: c.password, device: { onvifUrl: c.urls.onvif } });
  }
  db.close();

  const csv = join(work, 'discovered.csv');
  const runs: Record<string, Run> = {};
  runs.discoverJson = await cunbox(['cameras', 'discover', '--data-dir', dataDir, '--interface', 'lo', '--timeout', '2', '--json', '--user', 'admin', '--password', sim.cameras[0]!.password, '--csv', csv]);
  runs.discoverZh = await cunbox(['cameras', 'discover', '--data-dir', dataDir, '--interface', '127.0.0.1', '--timeout', '1'], { LANG: 'zh_CN.UTF-8' });
  runs.discoverNoIface = await cunbox(['cameras', 'discover', '--data-dir', dataDir, '--interface', 'eth7', '--timeout', '1']);

  // The technician fills in the passwords (here: from the simulator) and imports.
  const rows = parse(readFileSync(csv), { columns: true }) as Array<Record<string, string>>;
  const byAddress = new Map(sim.cameras.map((c) => [`${c.host}:${c.onvifPort}`, c]));
  for (const r of rows) {
    const c = byAddress.get(r.onvif!);
    if (c) Object.assign(r, { user: c.user, password: c.password, zone: `区${c.index % 4}` });
  }
  const filled = join(work, 'filled.csv');
  writeFileSync(filled, stringify(rows, { header: true, columns: ['name', 'zone', 'onvif', 'main', 'sub', 'user', 'password'] }));
  runs.importFirst = await cunbox(['cameras', 'import', filled, '--data-dir', dataDir, '--json', '--probe-seconds', '2.5', '--parallel', '16']);
  runs.test = await cunbox(['cameras', 'test', '--all', '--data-dir', dataDir, '--json', '--probe-seconds', '2.5', '--parallel', '16']);
  runs.discoverAfter = await cunbox(['cameras', 'discover', '--data-dir', dataDir, '--interface', 'lo', '--timeout', '2', '--json']);

  // Without the multicast route and without --interface the probe cannot go out.
  spawnSync('ip', ['route', 'del', '224.0.0.0/4', 'dev', 'lo']);
  runs.discoverNoRoute = await cunbox(['cameras', 'discover', '--data-dir', dataDir, '--timeout', '1']);

  process.stdout.write(
    `${JSON.stringify({
      garbagePerProbe: garbage.sent,
      cameras: sim.cameras.map((c) => ({ index: c.index, onvifPort: c.onvifPort, uuid: c.uuid, password: c.password })),
      csv: readFileSync(csv, 'utf8'),
      runs,
    })}\n`,
  );
} finally {
  garbage.close();
  await sim.stop();
}
