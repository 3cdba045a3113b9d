// The office screen's benches share this: N simulated cameras recorded by an edge in
// its own process (edge-runner.ts, bundled by default), serving the web build when one
// exists, and a kiosk account whose token a screen trades for its cookie.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startCamsim, type Camsim } from '../camsim/camsim.ts';
import { buildEntry } from '../build.ts';
import { openDatabase } from '../../edge/src/db/database.ts';
import { UserStore } from '../../edge/src/auth/users.ts';
import { Credentials } from '../../edge/src/api/auth.ts';
import { KioskAccounts } from '../../edge/src/auth/kiosks.ts';
import { Layout } from '../../edge/src/storage/layout.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { findWebRoot } from '../../edge/src/api/web.ts';
import { CameraAccess } from '../../edge/src/playback/access.ts';
import { freePort } from '@cunbox/test-support/ports';

export interface ScreenEdge {
  base: string;
  /** The kiosk token (for /screen#token=…) and the cookie it was traded for. */
  token: string;
  cookie: string;
  cameraIds: number[];
  /** The edge runner's process: its CPU and its children's are the bench's subject. */
  edge: ChildProcess;
  /** The runner's next stdout line (its report, after SIGTERM); rejects when it exits first. */
  nextLine(): Promise<string>;
  /** edge/dist/web when built (`npm run build`), else null: nothing serves /screen then. */
  webRoot: string | null;
  /** Ends the edge (when still running), the simulator, and the work dir unless kept. */
  stop(): Promise<void>;
}

export async function startScreenEdge(opts: { cameras: number; runner: 'bundle' | 'tsx'; keep: boolean; log: (m: string) => void }): Promise<ScreenEdge> {
  const work = mkdtempSync(join(tmpdir(), 'cunbox-bench-screen-'));
  opts.log(`starting simulator with ${opts.cameras} cameras (work dir ${work})`);
  let sim: Camsim | undefined;
  let edge: ChildProcess | undefined;
  const stop = async () => {
    if (edge && edge.exitCode === null && edge.signalCode === null) {
      const gone = new Promise((r) => edge!.once('exit', r));
      edge.kill('SIGTERM');
      await gone;
    }
    await sim?.stop();
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  };
  try {
    sim = await startCamsim({ cameras: opts.cameras });
    const dataDir = join(work, 'data');
    mkdirSync(dataDir, { recursive: true });
    // The screen's account, made before the edge holds the database (as `cunbox kiosk create` would).
    const db = openDatabase(new Layout(dataDir).database);
    const users = new UserStore({ db, clock: systemClock });
    const made = await new KioskAccounts({ users, credentials: new Credentials({ db, clock: systemClock }), access: new CameraAccess(db) }).create({ username: 'bench-screen' }, () => true);
    db.close();

    const port = await freePort();
    const cfg = join(work, 'config.yaml');
    const cams = sim.cameras.flatMap((c, i) => [`  - name: ${c.name}`, `    zone: 区${(i % 8) + 1}`, `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`]);
    writeFileSync(cfg, [`data_dir: ${dataDir}`, 'http:', '  host: 127.0.0.1', `  port: ${port}`, 'recording:', '  segment_seconds: 10', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', ...cams, ''].join('\n'));
    let runnerArgs = ['--import', 'tsx', join(import.meta.dirname, 'edge-runner.ts')];
    if (opts.runner === 'bundle') {
      const bundled = join(import.meta.dirname, '.build', 'edge-runner.mjs');
      await buildEntry(join(import.meta.dirname, 'edge-runner.ts'), bundled);
      runnerArgs = [bundled];
    }
    // The runner may run bundled from scripts/bench/.build, where the edge would not find the app: name it.
    const webRoot = findWebRoot(join(import.meta.dirname, '../../edge/src/api'));
    edge = spawn(process.execPath, [...runnerArgs, cfg, ...(webRoot ? [webRoot] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: edge.stdout! });
    const exited = new Promise<never>((_r, reject) => edge!.once('exit', (code) => reject(new Error(`edge runner exited (${code})`))));
    exited.catch(() => {});
    const nextLine = () => Promise.race([new Promise<string>((resolve) => lines.once('line', resolve)), exited]);
    if (!(await nextLine()).includes('started')) throw new Error('edge runner did not start');
    const base = `http://127.0.0.1:${port}`;
    const session = await fetch(`${base}/api/kiosk/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: made.token }) });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0]!;
    const summary = (await (await fetch(`${base}/api/screen/summary`, { headers: { cookie } })).json()) as { summary: { cameras: { list: Array<{ id: number }> } } };
    return { base, token: made.token, cookie, cameraIds: summary.summary.cameras.list.map((c) => c.id), edge, nextLine, webRoot, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
