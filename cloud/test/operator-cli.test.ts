/**
 * `cunbox-cloud` against a real running cloud (embedded Aedes, SQLite) and a
 * real edge sync client: villages, pairing codes, edges with presence and lag;
 * the errors an operator meets (cloud not running, wrong token, unknown
 * village, no config), each with its exit status, in English and Chinese.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { spawn } from 'node:child_process';
import { governanceModels } from '@cunbox/shared';
import { displayWidth } from '@cunbox/shared/cli';
import { run } from '../src/cli/main.ts';
import { startTestCloud } from './helpers/test-cloud.ts';
import { loginWorks } from './helpers/brokers.ts';
import { startEdgeSync } from './helpers/edge-sync.ts';
import { waitFor } from './helpers/sync-suite.ts';
import { tmpDir } from '../../edge/test/helpers/tmp.ts';
import { openDatabase } from '../../edge/src/db/database.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await run(argv, { stdout, stderr, env: { LANG: 'C', TZ: 'Asia/Shanghai', ...env } });
  return { code, out, err };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

t.test('villages, pairing codes and edges through the running cloud', async (t) => {
  const dir = tmpDir(t, 'cunbox-cloud-cli-');
  const tc = await startTestCloud(t, dir);
  const tokenFile = join(dir, 'operator-token');
  writeFileSync(tokenFile, `${tc.token}\n`, { mode: 0o600 });
  const target = ['--url', tc.url, '--token-file', tokenFile];

  const empty = await cli(['villages', 'list', ...target]);
  t.equal(empty.code, 0);
  t.match(empty.out, /no villages yet/);

  const added = await cli(['villages', 'add', '匡村', ...target]);
  t.equal(added.code, 0, added.err);
  t.match(added.out, /village #1 匡村 created/);
  t.match(added.out, /cunbox-cloud pair-code 1/, 'says what to do next');
  const second = await cli(['villages', 'add', '很长很长的一个村名用来检查表格宽度是否仍然在八十列以内', '--json', ...target]);
  t.same(JSON.parse(second.out), { id: 2, name: '很长很长的一个村名用来检查表格宽度是否仍然在八十列以内', node: JSON.parse(second.out).node });

  // The cloud config, as serve reads it, is enough too: address and token file from there.
  const configFile = join(dir, 'cloud.yaml');
  writeFileSync(configFile, `data_dir: ${join(dir, 'unused')}\noperator_token_file: operator-token\nhttp: { host: 0.0.0.0, port: ${tc.cloud.httpPort} }\n`);
  const listed = await cli(['villages', 'list', '--config', configFile]);
  t.equal(listed.code, 0, listed.err);
  t.match(listed.out, /匡村/);
  for (const line of listed.out.trimEnd().split('\n')) t.ok(displayWidth(line) <= 80, `fits 80 columns: ${line}`);
  const json = JSON.parse((await cli(['villages', 'list', '--json', ...target])).out) as Array<{ id: number; name: string; edges: number; createdAt: number }>;
  t.same(json.map((v) => [v.id, v.name, v.edges]), [[1, '匡村', 0], [2, second.out && JSON.parse(second.out).name, 0]]);

  const code = await cli(['pair-code', '匡村', ...target]);
  t.equal(code.code, 0, code.err);
  const m = /pairing code for village #1 匡村: (\S+)/.exec(code.out);
  t.ok(m, code.out);
  // Local time: no T, no Z; 24 hours from now in the box's zone.
  t.match(code.out, /valid once, until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n/);
  const byJson = JSON.parse((await cli(['pair-code', '1', '--json', ...target])).out) as { villageId: number; code: string; expiresAt: number };
  t.equal(byJson.villageId, 1);
  t.ok(Math.abs(byJson.expiresAt - (Date.now() + 24 * 3600_000)) < 60_000, 'expires in 24 hours');

  t.match((await cli(['edges', ...target])).out, /no paired edges/);
  // The edge trades the code as `cunbox cloud pair` does, then connects with a real sync client.
  const paired = await fetch(`${tc.url}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: m![1] }) }).then((r) => r.json() as Promise<{ edgeId: string; mqttUrl: string; username: string; password: string }>);
  const before = JSON.parse((await cli(['edges', '--json', ...target])).out) as Array<{ edgeId: string; online: boolean; presenceAt: number }>;
  t.same(before.map((e) => [e.edgeId, e.online, e.presenceAt]), [[paired.edgeId, false, 0]], 'paired, never connected');
  t.match((await cli(['edges', ...target])).out, /never connected/);

  // A ticket filed in the cloud while the edge is away: one op the edge has not confirmed.
  // The same ticket command as a phone's report: a category that exists, and its SLA.
  t.equal((await tc.operator('POST', '/api/villages/1/tickets', { category: 'road', description: '路灯坏了', place: '东口' })).status, 400, 'no category road');
  const filed = await tc.operator('POST', '/api/villages/1/tickets', { category: 'facility', description: '路灯坏了', place: '东口' });
  t.equal(filed.status, 201);
  t.match(filed.json.ticket, { category: 'facility', categoryName: '设施损坏', slaMinutes: 240, reporter: 'phone', status: 'submitted' });
  const lagging = JSON.parse((await cli(['edges', '--json', ...target])).out) as Array<{ downPending: number }>;
  t.equal(lagging[0]!.downPending, 1, 'one cloud op waiting for the edge');

  const db = openDatabase(join(dir, 'edge.db'));
  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  startEdgeSync(t, db, store, { edgeId: paired.edgeId, mqttUrl: paired.mqttUrl, username: paired.username, password: paired.password });
  const edgeRow = async () => (JSON.parse((await cli(['edges', '--json', ...target])).out) as Array<{ online: boolean; downPending: number; presenceAt: number }>)[0]!;
  await waitFor('the edge online, with the ticket', async () => {
    const e = await edgeRow();
    return e.online && e.downPending === 0;
  });
  t.ok((await edgeRow()).presenceAt > 0, 'presence time known');

  const edges = await cli(['edges', '--village', '匡村', ...target]);
  t.equal(edges.code, 0, edges.err);
  t.match(edges.out, new RegExp(`${paired.edgeId} .*1 匡村 .*online`));
  for (const line of edges.out.trimEnd().split('\n')) t.ok(displayWidth(line) <= 80, `fits 80 columns: ${line}`);
  const zh = await cli(['edges', ...target], { LANG: 'zh_CN.UTF-8' });
  t.match(zh.out, /在线/);
  t.match(zh.out, /待下发/);
  t.same(JSON.parse((await cli(['edges', '--village', '2', '--json', ...target])).out), [], 'another village: none');

  // Unpairing: the running cloud refuses the edge's next login; the row stays, marked.
  const revoke = await cli(['revoke', paired.edgeId, ...target]);
  t.equal(revoke.code, 0, revoke.err);
  t.match(revoke.out, new RegExp(`edge ${paired.edgeId} revoked`));
  t.notOk(await loginWorks(paired.mqttUrl, paired.edgeId, paired.password), 'the broker refuses the revoked edge');
  t.match((await cli(['edges', ...target])).out, new RegExp(`${paired.edgeId} .*revoked`));
  t.ok((await edgeRow() as unknown as { revokedAt: number | null }).revokedAt! > 0, 'revokedAt in --json');
  t.match((await cli(['revoke', paired.edgeId, ...target])).out, /was revoked before/, 'twice: nothing changes');
  const unknown = await cli(['revoke', 'ffffffffffffffff', ...target]);
  t.equal(unknown.code, 66, 'an unknown edge: not found');
  t.match(unknown.err, /no paired edge ffffffffffffffff/);
  t.equal((await cli(['revoke', 'not-an-id', ...target])).code, 64, 'not an edge id: bad input');
});

t.test('what goes wrong: not running, wrong token, unknown village, no config; each with its exit status', async (t) => {
  const dir = tmpDir(t, 'cunbox-cloud-cli-err-');
  const tc = await startTestCloud(t, dir);
  const tokenFile = join(dir, 'operator-token');
  writeFileSync(tokenFile, tc.token);
  const wrongFile = join(dir, 'wrong-token');
  writeFileSync(wrongFile, 'not-the-token');

  const down = await cli(['villages', 'list', '--url', `http://127.0.0.1:${await closedPort()}`, '--token-file', tokenFile]);
  t.equal(down.code, 69, 'cloud not running: unavailable');
  t.match(down.err, /cannot reach the cloud at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  t.match(down.err, /is cunbox-cloud serve running/);
  const downZh = await cli(['villages', 'list', '--url', `http://127.0.0.1:${await closedPort()}`, '--token-file', tokenFile], { LANG: 'zh_CN.UTF-8' });
  t.match(downZh.err, /^错误: 无法连接云端 http:\/\/127\.0\.0\.1:\d+：ECONNREFUSED\n  提示: /);

  const bad = await cli(['villages', 'list', '--url', tc.url, '--token-file', wrongFile]);
  t.equal(bad.code, 77, 'wrong token: permission denied');
  t.match(bad.err, /the cloud refused the operator token/);
  t.notMatch(bad.err + bad.out, /not-the-token/, 'the token is never printed');

  const unknown = await cli(['pair-code', '无此村', '--url', tc.url, '--token-file', tokenFile]);
  t.equal(unknown.code, 66, 'unknown village: not found');
  t.match(unknown.err, /no village with id or name "无此村"/);
  t.equal((await cli(['edges', '--village', '42', '--url', tc.url, '--token-file', tokenFile])).code, 66);

  const none = await cli(['villages', 'list'], { CUNBOX_CLOUD_CONFIG: '' });
  t.equal(none.code, 78, 'no way to find the cloud: config');
  t.match(none.err, /pass --config FILE, or --url URL with --token-file FILE/);
  const missing = await cli(['villages', 'list', '--url', tc.url, '--token-file', join(dir, 'nope')]);
  t.equal(missing.code, 78);
  t.match(missing.err, /cannot read the operator token file .*nope: ENOENT/);
  t.equal((await cli(['villages', 'list', '--url', 'ftp://x', '--token-file', tokenFile])).code, 64);
  t.equal((await cli(['villages', 'lst'])).code, 64, 'an unknown command is bad input');
  t.equal((await cli(['villages', 'add', '', '--url', tc.url, '--token-file', tokenFile])).code, 64, 'an empty name is refused by the cloud');
});

t.test('cunbox-cloud is a runnable bin with --help in both languages', async (t) => {
  const bin = join(import.meta.dirname, '../bin/cunbox-cloud.js');
  const help = async (lang: string) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, '--help'], { env: { ...process.env, LANG: lang, LC_ALL: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
  const en = await help('C');
  t.equal(en.code, 0);
  t.match(en.out, /^Usage: cunbox-cloud/);
  for (const cmd of ['serve', 'villages', 'pair-code', 'edges', 'revoke']) t.match(en.out, new RegExp(`\\n  ${cmd}\\b`), `lists ${cmd}`);
  t.match(en.out, /Exit codes:\n\s+0 {2}success/);
  const zh = await help('zh_CN.UTF-8');
  t.match(zh.out, /^用法： cunbox-cloud/);
  t.match(zh.out, /退出码：/);
  t.notMatch(zh.out, /\b(Usage|Options|Commands|Examples|Exit codes|display help)\b/, 'no English UI words');
});

t.test('every message of cunbox-cloud has a Chinese text with the same placeholders', async (t) => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const { CLOUD_CLI_ZH } = await import('../src/cli/i18n.ts');
  const src = join(import.meta.dirname, '../src/cli');
  const files = [...readdirSync(src).filter((f) => f.endsWith('.ts')).map((f) => join(src, f)), ...readdirSync(join(src, 'commands')).map((f) => join(src, 'commands', f))];
  const lit = String.raw`'((?:[^'\\]|\\.)*)'`;
  const patterns = [String.raw`\bt\(\s*` + lit, String.raw`\btf\(\s*t,\s*` + lit, String.raw`CliError\(\s*'[A-Z_]+',\s*` + lit, String.raw`\},\s*` + lit + String.raw`\)`, String.raw`\[\d+,\s*` + lit + String.raw`\]`];
  const keys = new Set<string>();
  for (const f of files) for (const p of patterns) for (const m of readFileSync(f, 'utf8').matchAll(new RegExp(p, 'g'))) keys.add(m[1]!.replace(/\\'/g, "'"));
  t.ok(keys.size > 40, `${keys.size} messages found`);
  for (const k of keys) {
    const zh = CLOUD_CLI_ZH[k];
    if (zh === undefined) {
      t.fail(`no Chinese for: ${k}`);
      continue;
    }
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    t.same(names(zh), names(k), `placeholders of: ${k}`);
  }
});
