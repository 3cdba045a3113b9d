import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseConfig, parseSize } from '../src/config/load.ts';
import { run } from '../src/cli/main.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('a minimal config gets every default', async (t) => {
  const c = parseConfig('data_dir: /var/lib/cunbox\n', '/etc/cunbox/config.yaml');
  t.equal(c.dataDir, '/var/lib/cunbox');
  t.equal(c.recorder.segmentSeconds, 60);
  t.equal(c.retention.defaultDays, 7);
  t.equal(c.retention.minFreeBytes, 2 * 1024 ** 3);
  t.equal(c.retention.maxBytes, null);
  t.same(c.cameras, []);
});

t.test('http: sign-in security has defaults and can be set', async (t) => {
  t.same(parseConfig('data_dir: /d\nhttp: {}\n').http?.security, { sessionIdleMs: 30 * 60_000, sessionLifetimeMs: 12 * 3600_000, loginMaxFailures: 5, lockoutMs: 15 * 60_000 });
  const c = parseConfig('data_dir: /d\nhttp:\n  idle_timeout_minutes: 10\n  absolute_lifetime_hours: 8\n  login_max_failures: 3\n  lockout_minutes: 30\n');
  t.same(c.http?.security, { sessionIdleMs: 10 * 60_000, sessionLifetimeMs: 8 * 3600_000, loginMaxFailures: 3, lockoutMs: 30 * 60_000 });
  t.throws(() => parseConfig('data_dir: /d\nhttp:\n  idle_timeout_minutes: 0\n'), { code: 'CONFIG_INVALID' });
});

t.test('relative data_dir resolves against the config file', async (t) => {
  t.equal(parseConfig('data_dir: data\n', '/etc/cunbox/config.yaml').dataDir, '/etc/cunbox/data');
});

t.test('cameras, sizes and retention overrides', async (t) => {
  const c = parseConfig(
    `data_dir: /d
retention:
  days: 14
  min_free_bytes: 500 MB
  max_bytes: 2TiB
cameras:
  - name: 路口卡口-东口
    zone: 东口
    main: rtsp://192.0.2.1/main
    user: admin
    password: x
    retention_days: 30
`,
  );
  t.equal(c.retention.minFreeBytes, 500e6);
  t.equal(c.retention.maxBytes, 2 * 1024 ** 4);
  t.match(c.cameras[0], { name: '路口卡口-东口', zone: '东口', mainUrl: 'rtsp://192.0.2.1/main', username: 'admin', password: 'x', retentionDays: 30, enabled: true });
  t.equal(parseSize('1.5 GiB'), 1.5 * 1024 ** 3);
  t.throws(() => parseSize('lots'), { code: 'CONFIG_INVALID' });
});

t.test('every error is reported at once, with its line', async (t) => {
  const text = `data_dir: /d
recording:
  segment_seconds: 1
  transprot: tcp
retention:
  days: -3
cameras:
  - name: gate
    main: http://192.0.2.1/x
  - zone: 东口
`;
  const err = t.throws(() => parseConfig(text, 'bad.yaml')) as unknown as { code: string; message: string; details: string[] };
  t.equal(err.code, 'CONFIG_INVALID');
  t.equal(err.details.length, 6, err.details.join('\n'));
  t.match(err.details.join('\n'), /bad\.yaml:3:\d+ recording\.segment_seconds: must be >= 2/);
  t.match(err.details.join('\n'), /bad\.yaml:4:\d+ recording\.transprot: unknown key/);
  t.match(err.details.join('\n'), /bad\.yaml:6:\d+ retention\.days: must be > 0/);
  t.match(err.details.join('\n'), /bad\.yaml:9:\d+ cameras\.0\.main: must be an rtsp:\/\/ or rtsps:\/\/ URL/);
  t.match(err.details.join('\n'), /bad\.yaml:10:\d+ cameras\.1: must have required property 'name'/);
});

t.test('YAML syntax errors are reported with their position', async (t) => {
  const err = t.throws(() => parseConfig('data_dir: /d\ncameras: [\n  - name: x\n', 'broken.yaml')) as unknown as { code: string; details: string[] };
  t.equal(err.code, 'CONFIG_INVALID');
  t.match(err.details[0], /^broken\.yaml:\d+:\d+ /);
  const dup = t.throws(() => parseConfig('data_dir: /d\ndata_dir: /e\n', 'dup.yaml')) as unknown as { details: string[] };
  t.match(dup.details.join('\n'), /dup\.yaml:2:\d+ .*[Mm]ap keys must be unique/);
});

t.test('cunbox serve with a bad config exits non-zero and prints every problem', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'data_dir: 5\nretention:\n  days: zero\nbogus: 1\n');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d) => (err += d));
  const code = await run(['serve', '--config', file], { stdout, stderr, env: {} });
  t.equal(code, 78, 'EX_CONFIG');
  t.match(err, /3 problems/);
  t.match(err, /c\.yaml:1:\d+ data_dir: must be string/);
  t.match(err, /c\.yaml:3:\d+ retention\.days: must be number/);
  t.match(err, /c\.yaml:4:\d+ bogus: unknown key/);
  const missing = await run(['serve', '--config', join(dir, 'nope.yaml')], { stdout, stderr, env: {} });
  t.equal(missing, 78);
  t.match(err, /cannot read config file .*nope\.yaml: ENOENT/);
});

t.test('the village section: issuer defaults to the village committee, the verification address is checked', async (t) => {
  t.equal(parseConfig('data_dir: /d\n').village, null, 'absent: certificates cannot be printed');
  t.same(parseConfig('data_dir: /d\nvillage:\n  name: 匡村\n  verify_base_url: https://kuangcun.example.cn/\n').village, {
    name: '匡村',
    issuer: '匡村村民委员会',
    verifyBaseUrl: 'https://kuangcun.example.cn',
    address: null,
    phone: null,
  });
  t.match(parseConfig('data_dir: /d\nvillage:\n  name: 匡村\n  issuer: 匡村股份经济合作社\n  verify_base_url: http://10.0.0.2:8080/cunbox\n  address: 匡村一组1号\n  phone: 0532-88886666\n').village, {
    issuer: '匡村股份经济合作社',
    verifyBaseUrl: 'http://10.0.0.2:8080/cunbox',
    address: '匡村一组1号',
    phone: '0532-88886666',
  });
  t.throws(() => parseConfig('data_dir: /d\nvillage:\n  name: 匡村\n  verify_base_url: kuangcun.example.cn?x=1\n', 'c.yaml'), { code: 'CONFIG_INVALID', details: [/c\.yaml:4:\d+ village\.verify_base_url: must be an http:\/\/ or https:\/\/ address/] });
  t.throws(() => parseConfig('data_dir: /d\nvillage:\n  issuer: 村委会\n', 'c.yaml'), { code: 'CONFIG_INVALID', details: [/village: must have required property 'name'/, /village: must have required property 'verify_base_url'/] });
});
