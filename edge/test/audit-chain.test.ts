import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { AuditLog } from '../src/api/audit.ts';
import { Layout } from '../src/storage/layout.ts';
import { readKey } from '@cunbox/shared';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { apiHarness } from './helpers/api.ts';

const DAY = 86_400_000;

function logOn(t: Test) {
  const dir = tmpDir(t);
  const db = openDatabase(join(dir, 'cunbox.db'));
  t.teardown(() => db.close());
  const { clock, fake } = fakeClock();
  const key = randomBytes(32);
  return { dir, db, clock, fake, key, log: new AuditLog({ db, clock, key }) };
}

const fill = (log: AuditLog, n: number) => {
  for (let i = 1; i <= n; i++) log.record({ actor: 'zhang', role: 'admin', action: 'user.update', target: `user:${i}`, detail: { fields: ['role'] }, ip: '127.0.0.1' });
};

t.test('an untouched chain verifies; an edited row breaks it at that row', async (t) => {
  const { db, log } = logOn(t);
  fill(log, 5);
  t.match(log.verify(), { ok: true, rows: 5, firstId: 1, lastId: 5, head: /^[0-9a-f]{64}$/ });
  db.prepare(`UPDATE audit_log SET detail = '{"fields":["password"]}' WHERE id = 3`).run();
  t.match(log.verify(), { ok: false, rows: 2, broken: { id: 3, reason: 'edited' } });
});

t.test('a row deleted from the middle or the start is detected', async (t) => {
  const { db, log } = logOn(t);
  fill(log, 5);
  db.prepare('DELETE FROM audit_log WHERE id = 2').run();
  t.match(log.verify(), { ok: false, broken: { id: 3, reason: 'missing-before' } });

  const other = logOn(t);
  fill(other.log, 3);
  other.db.prepare('DELETE FROM audit_log WHERE id = 1').run();
  t.match(other.log.verify(), { ok: false, broken: { id: 2, reason: 'missing-before' } });
});

t.test('re-hashing without the key does not help a forger', async (t) => {
  const { db, clock, log } = logOn(t);
  fill(log, 3);
  // The database file alone: a log with another key sees every row as forged.
  const forger = new AuditLog({ db, clock, key: randomBytes(32) });
  t.match(forger.verify(), { ok: false, broken: { id: 1, reason: 'edited' } });
  // Rows the forger appends do not verify under the real key either.
  forger.record({ actor: 'intruder', action: 'user.update' });
  t.match(log.verify(), { ok: false, broken: { id: 4, reason: 'edited' } });
});

t.test('rows written before the chain existed are sealed in order, then verify', async (t) => {
  const { db, log } = logOn(t);
  const insert = db.prepare("INSERT INTO audit_log (at, actor, action) VALUES (?, 'old', 'auth.login')");
  for (let i = 0; i < 3; i++) insert.run(1_700_000_000_000 + i);
  t.match(log.verify(), { ok: false, broken: { id: 1, reason: 'unsealed' } });
  log.seal();
  log.record({ actor: 'new', action: 'auth.login' });
  t.match(log.verify(), { ok: true, rows: 4 });
});

t.test('pruning keeps at least 180 days, moves a signed base, and the rest still verifies', async (t) => {
  const { db, fake, log } = logOn(t);
  fill(log, 4);
  fake.tick(100 * DAY);
  fill(log, 2);
  fake.tick(100 * DAY);
  log.record({ actor: 'zhang', action: 'auth.login' });

  // Asked for 30 days: 180 is the floor, so only the rows from 200 days ago go.
  t.equal(log.prune(30), 4);
  const v = log.verify();
  t.match(v, { ok: true, firstId: 5 });
  t.equal(v.rows, 4, 'two 100-day-old rows, the login, and the record of the pruning');
  t.match(log.list({ action: 'audit.pruned' })[0], { detail: { rows: 4, throughId: 4, olderThanDays: 180 } });

  // Moving the base forward to hide more rows needs the key.
  db.prepare('UPDATE audit_chain_base SET through_id = 5').run();
  t.match(log.verify(), { ok: false, broken: { reason: 'base-forged' } });
});

t.test('GET /api/audit/verify and /api/audit/export (admin only; the export is audited)', async (t) => {
  const h = await apiHarness(t);
  const v = await h.as.admin.get('/api/audit/verify');
  t.equal(v.status, 200);
  t.match(v.body, { ok: true, firstId: 1 });
  t.ok(v.body.rows >= 6, 'one login per role, at least');
  t.equal((await h.as.cadre.get('/api/audit/verify')).status, 403);
  t.equal((await h.anon.get('/api/audit/export')).status, 401);

  const csv = await h.as.admin.get('/api/audit/export?format=csv');
  t.equal(csv.status, 200);
  t.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.raw.toString('utf8').split('\r\n').filter(Boolean);
  t.equal(lines[0], '\ufeffid,at,actor,role,action,target,detail,ip,hash');
  t.ok(lines.some((l) => /,auth\.login,/.test(l)));
  t.ok(lines.every((l, i) => i === 0 || /,[0-9a-f]{64}$/.test(l)), 'every row carries its hash');
  t.match(h.audit.list({ action: 'audit.exported' })[0], { actor: 'admin', detail: { format: 'csv' } });

  const jsonl = await h.as.admin.get(`/api/audit/export?format=jsonl&from=${h.clock.now() - 1000}`);
  const rows = jsonl.raw.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; hash: string });
  t.ok(rows.length > 0 && rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash)));
  t.equal((await h.as.admin.get('/api/audit/export?format=xml')).status, 400);
});

t.test('cunbox audit verify | export', async (t) => {
  const dir = tmpDir(t);
  const g = ['--data-dir', dir];
  t.equal((await cli([...g, 'users', 'add', '--username', 'zhang', '--role', 'cadre'], { CUNBOX_PASSWORD: 'Secret-pw-4711' })).code, 0);
  const keyFile = new Layout(dir).auditKey;
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is private');
  t.equal(statSync(new Layout(dir).keysDir).mode & 0o777, 0o700);
  t.ok(readKey(keyFile));

  const ok = await cli([...g, 'audit', 'verify'], { LANG: 'zh_CN.UTF-8' });
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /审计链完整: 1 条/);

  const out = join(dir, 'audit.csv');
  const exp = await cli([...g, 'audit', 'export', '-o', out]);
  t.equal(exp.code, 0, exp.err);
  t.equal(statSync(out).mode & 0o777, 0o600);

  const db = openDatabase(new Layout(dir).database);
  db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE id = 1").run();
  db.close();
  const bad = await cli([...g, 'audit', 'verify']);
  t.equal(bad.code, 1);
  t.match(bad.out, /audit chain broken: row #1 was edited/);
  const json = await cli([...g, 'audit', 'verify', '--json']);
  t.match(JSON.parse(json.out), { ok: false, broken: { id: 1, reason: 'edited' } });
});
