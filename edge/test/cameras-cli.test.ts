import t from 'tap';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';
import { authenticatedUrl, parseStreamUrl } from '../src/cameras/registry.ts';

t.test('credentials are split out of URLs and never shown', async (t) => {
  const dir = tmpDir(t);
  const add = await cli(['cameras', 'add', '--data-dir', dir, '--name', '路口卡口-东口', '--zone', '东口', '--main', 'rtsp://admin:p%40ss@127.0.0.1:8554/main', '--sub', 'rtsp://127.0.0.1:8554/sub', '--no-probe', '--json']);
  t.equal(add.code, 0, add.err);
  const cam = JSON.parse(add.out);
  t.match(cam, { id: 1, name: '路口卡口-东口', zone: '东口', mainUrl: 'rtsp://127.0.0.1:8554/main', username: 'admin', hasPassword: true });
  t.notOk('password' in cam);
  const list = await cli(['cameras', 'list', '--data-dir', dir, '--json']);
  t.equal(list.code, 0);
  t.notMatch(list.out, /p@ss|p%40ss/);
  t.equal(JSON.parse(list.out).length, 1);
  const table = await cli(['cameras', 'list', '--data-dir', dir], { LANG: 'zh_CN.UTF-8' });
  t.match(table.out, /编号.*名称.*区域/);
  t.match(table.out, /路口卡口-东口/);
  t.notMatch(table.out, /p@ss/);
});

t.test('bad input: clear errors and distinct exit codes, nothing stored', async (t) => {
  const dir = tmpDir(t);
  const bad = await cli(['cameras', 'add', '--data-dir', dir, '--name', 'x', '--main', 'http://127.0.0.1/x']);
  t.equal(bad.code, 64);
  t.match(bad.err, /main URL: scheme http: is not supported/);
  const junk = await cli(['cameras', 'add', '--data-dir', dir, '--name', 'x', '--main', 'not a url']);
  t.match(junk.err, /main URL: not a URL/);
  const missing = await cli(['cameras', 'add', '--data-dir', dir, '--name', 'x']);
  t.equal(missing.code, 64);
  t.match(missing.err, /--onvif HOST\[:PORT\] or --rtsp URL/);
  t.equal(JSON.parse((await cli(['cameras', 'list', '--data-dir', dir, '--json'])).out).length, 0, 'nothing stored');
  await cli(['cameras', 'add', '--data-dir', dir, '--name', 'gate', '--main', 'rtsp://127.0.0.1/a', '--no-probe']);
  const dup = await cli(['cameras', 'add', '--data-dir', dir, '--name', 'gate', '--main', 'rtsp://127.0.0.1/b', '--no-probe']);
  t.equal(dup.code, 65);
  t.match(dup.err, /already exists/);
  const noStore = await cli(['cameras', 'list'], {});
  t.match(noStore.err, /no configuration: pass --config FILE or --data-dir DIR/);
});

t.test('--help shows examples', async (t) => {
  const h = await cli(['--help']);
  t.equal(h.code, 0);
  t.match(h.out, /Examples:/);
  t.match(h.out, /cunbox storage status/);
});

t.test('URL helpers', async (t) => {
  t.same(parseStreamUrl('rtsp://u:p%3Ax@h:554/s?x=1', 'main'), { url: 'rtsp://h:554/s?x=1', username: 'u', password: 'p:x' });
  t.equal(authenticatedUrl('rtsp://h:554/s', 'ad min', 'p@ss:w'), 'rtsp://ad%20min:p%40ss%3Aw@h:554/s');
  t.equal(authenticatedUrl('rtsp://h/s', null, null), 'rtsp://h/s');
});
