// A running edge picks up what the technician CLI changes, from another
// process, without a restart: add → recording, disable → stopped, enable →
// recording again, rename → not restarted, remove → stopped.
import t from 'tap';
import { join } from 'node:path';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { spawnCli } from '@cunbox/test-support/edge-cli';
import { waitFor } from './helpers/media.ts';

let sim: Camsim;
t.before(async () => {
  sim = await startCamsim({ cameras: 2 });
});
t.teardown(() => sim?.stop());

/** The CLI as its own process, as a technician runs it next to the edge service. */
const cunbox = (args: string[]) => spawnCli(args).done;

t.test('add, disable, enable, rename, remove reach a running edge within seconds', async (t) => {
  const dir = tmpDir(t);
  const config = parseConfig(
    [`data_dir: ${dir}`, 'log_level: warn', 'recording:', '  segment_seconds: 4', '  watchdog_seconds: 4', '  connect_timeout_seconds: 8', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', ''].join('\n'),
  );
  const logs: string[] = [];
  const edge = new Edge({ config, log: createLogger({ level: 'info', destination: { write: (s: string) => void logs.push(s) } as never }) });
  await edge.start();
  t.teardown(() => edge.stop());
  t.same(edge.cameraStatus(), [], 'no cameras at start');
  const state = (id: number) => edge.cameraStatus().find((s) => s.cameraId === id);
  const segments = (id: number) => (edge.db.prepare('SELECT COUNT(*) AS n FROM segments WHERE camera_id = ?').get(id) as { n: number }).n;
  const [c0, c1] = [sim.cameras[0]!, sim.cameras[1]!];

  const add = await cunbox(['cameras', 'add', '--data-dir', dir, '--onvif', `${c0.host}:${c0.onvifPort}`, '--user', c0.user, '--password', c0.password, '--name', '东口', '--probe-seconds', '2.5']);
  t.equal(add.code, 0, 'add by ONVIF', { err: add.err });
  await waitFor('camera 1 recording', () => state(1)?.state === 'recording', 20_000);
  await waitFor('a segment of camera 1 indexed', () => segments(1) > 0, 20_000);
  t.pass('the edge records the camera added by the CLI, and indexes its footage');

  const rtsp = await cunbox(['cameras', 'add', '--data-dir', dir, '--name', '西口', '--rtsp', c1.urls.main, '--user', c1.user, '--password', c1.password, '--probe-seconds', '2.5']);
  t.equal(rtsp.code, 0, 'add by RTSP', { err: rtsp.err });
  await waitFor('camera 2 recording', () => state(2)?.state === 'recording', 20_000);

  const disable = await cunbox(['cameras', 'disable', '--data-dir', dir, '东口']);
  t.equal(disable.code, 0);
  await waitFor('camera 1 stopped', () => state(1) === undefined, 15_000);
  await waitFor('no RTSP client left on camera 0', async () => (await sim.control.state())[0]!.rtspClients === 0, 15_000);
  t.pass('disable stops its recorder and closes its stream');
  const stoppedAt = segments(1);

  const starts = state(2)!.starts;
  t.equal((await cunbox(['cameras', 'rename', '--data-dir', dir, '西口', '西口-新'])).code, 0);
  t.equal((await cunbox(['cameras', 'enable', '--data-dir', dir, '1'])).code, 0);
  // Once camera 1 records again, the edge has seen both commits.
  await waitFor('camera 1 recording again', () => state(1)?.state === 'recording', 20_000);
  t.equal(state(2)!.starts, starts, 'a rename does not restart the recorder');
  t.equal(state(2)!.name, '西口-新', 'but its status shows the new name');
  await waitFor('new footage of camera 1', () => segments(1) > stoppedAt, 20_000);

  t.equal((await cunbox(['cameras', 'remove', '--data-dir', dir, '2'])).code, 0);
  await waitFor('camera 2 stopped', () => state(2) === undefined, 15_000);
  t.same(edge.cameraStatus().map((s) => s.cameraId), [1]);
  t.notMatch(logs.join(''), new RegExp(c0.password), 'no password in the edge log');
});
