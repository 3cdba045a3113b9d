import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';
import { parseConfig } from '../src/config/load.ts';

async function withCamera(t: Test) {
  const dir = tmpDir(t);
  const add = await cli(['cameras', 'add', '--data-dir', dir, '--name', 'gate', '--main', 'rtsp://127.0.0.1:8554/main', '--no-probe']);
  t.equal(add.code, 0, add.err);
  return dir;
}

t.test('zones and masks: add, list, remove; knobs: set', async (t) => {
  const dir = await withCamera(t);
  const add = await cli(['cameras', 'zones', 'add', '--data-dir', dir, 'gate', '院门', '0,0.5 1,0.5 1,1 0,1']);
  t.equal(add.code, 0, add.err);
  t.match(add.out, /zone "院门" added to #1 gate/);
  const mask = await cli(['cameras', 'zones', 'add', '--data-dir', dir, '1', 'clock', '0,0 0.4,0 0.4,0.08 0,0.08', '--mask']);
  t.equal(mask.code, 0, mask.err);
  const set = await cli(['cameras', 'zones', 'set', '--data-dir', dir, 'gate', '--sensitivity', '70', '--min-area', '0.5']);
  t.equal(set.code, 0, set.err);
  const list = await cli(['cameras', 'zones', 'list', '--data-dir', dir, 'gate', '--json']);
  t.equal(list.code, 0, list.err);
  t.same(JSON.parse(list.out), {
    cameraId: 1,
    enabled: true,
    sensitivity: 70,
    minAreaPercent: 0.5,
    zones: [{ kind: 'zone', name: '院门', points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] }],
    masks: [{ kind: 'mask', name: 'clock', points: [[0, 0], [0.4, 0], [0.4, 0.08], [0, 0.08]] }],
  });
  const zh = await cli(['cameras', 'zones', 'list', '--data-dir', dir, 'gate'], { LANG: 'zh_CN.UTF-8' });
  t.match(zh.out, /移动侦测: 是\s+灵敏度: 70/);
  t.match(zh.out, /院门/);
  t.match(zh.out, /屏蔽区/);
  const rm = await cli(['cameras', 'zones', 'remove', '--data-dir', dir, 'gate', '院门']);
  t.equal(rm.code, 0, rm.err);
  const after = JSON.parse((await cli(['cameras', 'zones', 'list', '--data-dir', dir, 'gate', '--json'])).out);
  t.same(after.zones, []);
  t.equal(after.masks.length, 1, 'the mask stays');
  const off = await cli(['cameras', 'zones', 'set', '--data-dir', dir, 'gate', '--off']);
  t.equal(off.code, 0, off.err);
  t.equal(JSON.parse((await cli(['cameras', 'zones', 'list', '--data-dir', dir, 'gate', '--json'])).out).enabled, false);
});

t.test('bad zones: clear errors, nothing stored', async (t) => {
  const dir = await withCamera(t);
  const outside = await cli(['cameras', 'zones', 'add', '--data-dir', dir, 'gate', 'yard', '0,0 1.5,0 1,1']);
  t.equal(outside.code, 64);
  t.match(outside.err, /between 0 and 1/);
  const two = await cli(['cameras', 'zones', 'add', '--data-dir', dir, 'gate', 'yard', '0,0 1,1']);
  t.match(two.err, /at least 3 points/);
  const junk = await cli(['cameras', 'zones', 'add', '--data-dir', dir, 'gate', 'yard', 'a,b c,d e,f']);
  t.equal(junk.code, 64);
  const badName = await cli(['cameras', 'zones', 'add', '--data-dir', dir, 'gate', ' ', '0,0 1,0 1,1']);
  t.equal(badName.code, 64);
  await cli(['cameras', 'zones', 'add', '--data-dir', dir, 'gate', 'yard', '0,0 1,0 1,1']);
  const dup = await cli(['cameras', 'zones', 'add', '--data-dir', dir, 'gate', 'yard', '0,0 1,0 0,1']);
  t.equal(dup.code, 65);
  t.match(dup.err, /already has a zone named "yard"/);
  const missing = await cli(['cameras', 'zones', 'remove', '--data-dir', dir, 'gate', 'nope']);
  t.match(missing.err, /no zone named "nope"/);
  const sens = await cli(['cameras', 'zones', 'set', '--data-dir', dir, 'gate', '--sensitivity', '101']);
  t.not(sens.code, 0);
  const noCam = await cli(['cameras', 'zones', 'list', '--data-dir', dir, 'ghost']);
  t.match(noCam.err, /no camera with id or name "ghost"/);
  const list = JSON.parse((await cli(['cameras', 'zones', 'list', '--data-dir', dir, 'gate', '--json'])).out);
  t.same(list.zones.map((z: { name: string }) => z.name), ['yard'], 'only the good zone was stored');
});

t.test('config file: a camera\'s motion settings and zones, checked with the line they are on', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'cunbox.yaml');
  writeFileSync(
    file,
    [
      `data_dir: ${join(dir, 'data')}`,
      'motion: {}',
      'cameras:',
      '  - name: gate',
      '    main: rtsp://127.0.0.1:8554/main',
      '    motion:',
      '      sensitivity: 80',
      '      zones:',
      '        - { name: yard, points: [[0, 0.5], [1, 0.5], [1, 1]] }',
      '',
    ].join('\n'),
  );
  const cfg = parseConfig((await import('node:fs')).readFileSync(file, 'utf8'), file);
  t.same(cfg.motion?.cameras['gate'], { enabled: true, sensitivity: 80, minAreaPercent: 0.2, zones: [{ kind: 'zone', name: 'yard', points: [[0, 0.5], [1, 0.5], [1, 1]] }], masks: [] });
  t.same(cfg.motion?.tracker, { minFrames: 2, mergeGapMs: 10_000, maxEventMs: 300_000 });
  const bad = ['data_dir: /x', 'cameras:', '  - name: g', '    main: rtsp://h/m', '    motion:', '      zones:', '        - { name: y, points: [[0, 0], [2, 0], [1, 1]] }', ''].join('\n');
  t.throws(() => parseConfig(bad), { code: 'CONFIG_INVALID' });
  try {
    parseConfig(bad);
  } catch (err) {
    t.match(JSON.stringify(err), /:7:\d+ cameras\.0\.motion\.zones\.0\.points\.1\.0: must be <= 1/);
  }
});
