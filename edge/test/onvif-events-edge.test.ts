// ONVIF events wired into the edge: config (motion.source, onvif_events), which
// cameras get a subscription, and events from the simulator in the event table.
import t from 'tap';
import { join } from 'node:path';
import { startCamsim } from '../../scripts/camsim/camsim.ts';
import { parseConfig } from '../src/config/load.ts';
import { Edge } from '../src/edge.ts';
import { CameraRegistry } from '../src/cameras/registry.ts';
import { systemClock } from '../src/clock.ts';
import { openDatabase } from '../src/db/database.ts';
import { silentLogger } from '../src/log.ts';
import { planOnvifEvents, defaultCameraMotion, type EventCamera } from '../src/onvif/events/sources.ts';
import { fakeSpawner } from './helpers/fake-ffmpeg.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('config: motion.source and onvif_events per camera, with defaults', async (t) => {
  const c = parseConfig(
    [
      'data_dir: /d',
      'cameras:',
      '  - name: a',
      '    main: rtsp://192.0.2.1/main',
      '  - name: b',
      '    main: rtsp://192.0.2.2/main',
      '    motion: { source: video }',
      '  - name: c',
      '    main: rtsp://192.0.2.3/main',
      '    motion: { source: onvif }',
      '    onvif_events: { address: "192.0.2.3:8000", merge_gap_seconds: 2.5 }',
      '',
    ].join('\n'),
  );
  t.same(c.cameraMotion, {
    a: { source: 'both', onvifAddress: null, mergeGapMs: 10_000 },
    b: { source: 'video', onvifAddress: null, mergeGapMs: 10_000 },
    c: { source: 'onvif', onvifAddress: '192.0.2.3:8000', mergeGapMs: 2_500 },
  });
  t.throws(() => parseConfig('data_dir: /d\ncameras:\n  - name: a\n    main: rtsp://192.0.2.1/main\n    motion: { source: camera }\n'), { code: 'CONFIG_INVALID', details: [/motion.source: must be one of "video", "onvif", "both"/] });
  t.throws(() => parseConfig('data_dir: /d\ncameras:\n  - name: a\n    main: rtsp://192.0.2.1/main\n    onvif_events: { merge_gap_seconds: -1 }\n'), { code: 'CONFIG_INVALID' });
  t.throws(() => parseConfig('data_dir: /d\ncameras:\n  - name: a\n    main: rtsp://192.0.2.1/main\n    onvif_events: { adress: x }\n'), { code: 'CONFIG_INVALID', details: [/onvif_events.adress: unknown key/] });
});

t.test('plan: which cameras get ONVIF events, and why the others do not', async (t) => {
  const cam = (id: number, name: string, extra: Partial<EventCamera> = {}): EventCamera => ({ id, name, enabled: true, onvifUrl: null, username: 'admin', password: 'pw', ...extra });
  const plan = planOnvifEvents(
    [
      cam(1, 'provisioned', { onvifUrl: 'http://192.0.2.1:80/onvif/device_service' }),
      cam(2, 'configured'),
      cam(3, 'video', { onvifUrl: 'http://192.0.2.3:80/onvif/device_service' }),
      cam(4, 'rtsp only'),
      cam(5, 'off', { enabled: false, onvifUrl: 'http://192.0.2.5:80/onvif/device_service' }),
      cam(6, 'typo'),
    ],
    {
      configured: { ...defaultCameraMotion, onvifAddress: '192.0.2.2:8000', mergeGapMs: 1000 },
      video: { ...defaultCameraMotion, source: 'video' },
      typo: { ...defaultCameraMotion, onvifAddress: 'http://user:pw@192.0.2.6/' },
    },
  );
  t.same(plan.sources.map((s) => [s.cameraId, s.target.url, s.mergeGapMs]), [
    [1, 'http://192.0.2.1:80/onvif/device_service', 10_000],
    [2, 'http://192.0.2.2:8000/onvif/device_service', 1000],
  ]);
  t.same(plan.skipped, [
    { cameraId: 3, reason: 'video only' },
    { cameraId: 4, reason: 'no ONVIF address' },
    { cameraId: 5, reason: 'disabled' },
    { cameraId: 6, reason: 'bad ONVIF address' },
  ]);
});

t.test('the edge subscribes for cameras with onvif or both, stores their alarms, and unsubscribes on stop', async (t) => {
  const sim = await startCamsim({ cameras: 2 });
  t.teardown(() => sim.stop());
  const [a, b] = sim.cameras as [(typeof sim.cameras)[0], (typeof sim.cameras)[0]];
  const dir = tmpDir(t, 'cunbox-onvif-edge-');
  const yaml = [
    `data_dir: ${join(dir, 'data')}`,
    'retention:',
    '  min_free_bytes: 0',
    '  min_free_percent: 0',
    'cameras:',
    '  - name: 东口',
    `    main: ${a.urls.main}`,
    `    user: ${a.user}`,
    `    password: ${a.password}`,
    `    onvif_events: { address: "${a.urls.onvif}" }`,
    '  - name: 西口',
    `    main: ${b.urls.main}`,
    `    user: ${b.user}`,
    `    password: ${b.password}`,
    '    motion: { source: video }',
    `    onvif_events: { address: "${b.urls.onvif}" }`,
    '',
  ].join('\n');
  const { spawner } = fakeSpawner((p) => setImmediate(() => p.opened()));
  const edge = new Edge({ config: parseConfig(yaml), log: silentLogger(), spawner });
  await edge.start();
  let stopped = false;
  t.teardown(() => (stopped ? undefined : edge.stop()));
  const waitFor = async (what: string, cond: () => boolean | Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitFor('a subscription on 东口', async () => (await sim.control.state())[0]!.events!.subscriptions === 1);
  t.equal((await sim.control.state())[1]!.events!.subscriptionsCreated, 0, 'a video-only camera is not subscribed');
  t.match(edge.onvifEvents?.status(), [{ state: 'subscribed', subscriptions: 1 }], 'one source, for 东口');

  await sim.control.event(0, 'motion', true);
  const id = edge.parts.registry.getByName('东口')!.id;
  await waitFor('motion.start', () => edge.parts.events.list({ type: 'motion.start' }).length === 1);
  t.match(edge.parts.events.list({ type: 'motion.start' }), [{ cameraId: id, detail: { source: 'onvif' } }]);


  // The CLI edits cameras from another process: the running edge follows.
  const cli = openDatabase(edge.layout.database);
  t.teardown(() => cli.close());
  const other = new CameraRegistry({ db: cli, clock: systemClock });
  other.update(id, { enabled: false });
  await waitFor('the disabled camera unsubscribed', async () => (await sim.control.state())[0]!.events!.subscriptions === 0);
  other.add({ name: '北口', mainUrl: b.urls.main, username: b.user, password: b.password, device: { onvifUrl: b.urls.onvif } });
  await waitFor('a subscription for a camera added by the CLI (motion.source defaults to both)', async () => (await sim.control.state())[1]!.events!.subscriptions === 1);
  other.update(id, { enabled: true });
  await waitFor('enabled again', async () => (await sim.control.state())[0]!.events!.subscriptions === 1);

  t.same((await edge.stop()).pending, []);
  stopped = true;
  await waitFor('the subscriptions freed', async () => (await sim.control.state()).every((c) => c.events!.subscriptions === 0));
  t.pass('unsubscribed on stop');
});
