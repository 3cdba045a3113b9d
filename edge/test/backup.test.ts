/**
 * `cunbox backup` and `cunbox restore` on real SQLite files: a copy taken
 * while the database is being written is one consistent moment of it; a
 * restore checks every SHA-256 before writing anything, refuses to overwrite
 * or to run beside a live edge, and puts each file back with its mode.
 */
import t, { type Test } from 'tap';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateKey } from '@cunbox/shared';
import { openDatabase, type Db } from '../src/db/database.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { EventStore } from '../src/events/event-store.ts';
import { Layout } from '../src/storage/layout.ts';
import { systemClock } from '../src/clock.ts';
import { takeBackup } from '../src/backup/backup.ts';
import { restoreBackup } from '../src/backup/restore.ts';
import { listBackups, readManifest } from '../src/backup/manifest.ts';
import { migrations } from '../src/db/migrations.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';

const mode = (p: string) => statSync(p).mode & 0o777;

/** An installation: config with cloud credentials and TLS files, keys, and a database with rows. */
function install(dir: string) {
  const etc = join(dir, 'etc');
  const dataDir = join(dir, 'data');
  mkdirSync(join(etc, 'tls'), { recursive: true });
  const configFile = join(etc, 'config.yaml');
  writeFileSync(
    configFile,
    [
      `data_dir: ${dataDir}`,
      'http:',
      '  port: 0',
      '  tls:',
      '    cert: tls/cert.pem',
      '    key: tls/key.pem',
      'cloud:',
      '  url: http://127.0.0.1:9',
      '  edge_id: 0123456789abcdef',
      '  credentials_file: cloud-credentials.json',
      'backup:',
      `  dir: ${join(dir, 'backups')}`,
      '  keep: 2',
      '',
    ].join('\n'),
  );
  writeFileSync(join(etc, 'tls/cert.pem'), '-----BEGIN CERTIFICATE-----\nnot a real one\n');
  writeFileSync(join(etc, 'tls/key.pem'), '-----BEGIN PRIVATE KEY-----\nnot a real one\n', { mode: 0o600 });
  writeFileSync(join(etc, 'cloud-credentials.json'), JSON.stringify({ edgeId: '0123456789abcdef', mqttUrl: 'mqtt://127.0.0.1:9', username: '0123456789abcdef', password: 'secret' }), { mode: 0o600 });
  const layout = new Layout(dataDir);
  loadOrCreateKey(layout.dataKey);
  loadOrCreateKey(layout.auditKey);
  const db = openDatabase(layout.database);
  // Some bulk, so that the copy takes more than one event-loop turn.
  const events = new EventStore({ db, clock: systemClock });
  db.transaction(() => {
    for (let i = 0; i < 20_000; i++) events.record(null, 'filler', { pad: 'x'.repeat(200), i });
  })();
  return { configFile, dataDir, layout, db, events, config: loadConfigFile(configFile) };
}

/** Writes one event per turn of the event loop until stopped: the edge, busy. */
function busyWriter(db: Db) {
  const events = new EventStore({ db, clock: systemClock });
  let stop = false;
  let written = 0;
  const done = new Promise<void>((resolve) => {
    const step = () => {
      if (stop) return resolve();
      events.record(1, 'camera_online', { n: written++ });
      setImmediate(step);
    };
    step();
  });
  return { stop: async () => ((stop = true), await done, written), count: () => written };
}

function eventIds(t: Test, file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok', `${file}: integrity_check ok`);
    return (db.prepare('SELECT id FROM events ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
  } finally {
    db.close();
  }
}

for (const via of ['another process (read-only connection)', "the edge's own connection"] as const) {
  t.test(`a backup taken while ${via} writes is one consistent moment of the database`, async (t) => {
    const dir = tmpDir(t, 'cunbox-backup-');
    const inst = install(dir);
    t.teardown(() => inst.db.close());
    // The writer is another connection to the same file, as a running edge is to the CLI.
    const writerDb = via.startsWith('another') ? openDatabase(inst.layout.database) : inst.db;
    if (writerDb !== inst.db) t.teardown(() => writerDb.close());
    const writer = busyWriter(writerDb);
    await new Promise((r) => setTimeout(r, 50));
    const before = writer.count();
    const r = await takeBackup({ config: inst.config, toDir: join(dir, 'backups'), clock: systemClock, ...(via.startsWith('another') ? {} : { db: inst.db }) });
    const after = await writer.stop();
    t.ok(after > before, `the database was written during the backup (${after - before} events)`);

    const ids = eventIds(t, join(r.dir, 'cunbox.db'));
    t.same(ids, ids.map((_, i) => i + 1), 'the copy holds events 1..n with none missing: a prefix of what was written');
    const copied = ids.length - 20_000;
    t.ok(copied >= before && copied <= after, `the copy is a moment between the start and the end of the backup (${before} ≤ ${copied} ≤ ${after})`);

    const m = readManifest(r.dir);
    t.same(m.files.map((f) => f.name).sort(), ['cloud-credentials.json', 'config.yaml', 'cunbox.db', 'keys/audit.key', 'keys/data.key', 'tls/cert.pem', 'tls/key.pem']);
    t.same(m.schema, { count: migrations.length, last: migrations.at(-1)!.name, migrations: migrations.map((x) => x.name) });
    t.match(r.dir, /cunbox-backup-\d{8}-\d{6}$/);
    t.equal(mode(r.dir), 0o700, 'the backup folder is 0700');
    for (const f of m.files) t.equal(mode(join(r.dir, f.name)), 0o600, `${f.name} is 0600`);
    t.equal(mode(join(r.dir, 'manifest.json')), 0o600);
    t.same(readdirSync(join(dir, 'backups')), [r.dir.split('/').at(-1)], 'no .partial folder left');
  });
}

t.test('restore onto a fresh disk: verified first, then every file back in place with its mode', async (t) => {
  const dir = tmpDir(t, 'cunbox-restore-');
  const inst = install(dir);
  const cameraRow = inst.db.prepare("INSERT INTO cameras (name, main_url, created_at, updated_at) VALUES ('东口', 'rtsp://127.0.0.1:8554/main', 1, 1)").run();
  inst.db.close();
  const r = await takeBackup({ config: inst.config, toDir: join(dir, 'backups'), clock: systemClock });

  // A damaged backup is refused and nothing is written.
  const fresh = join(dir, 'new');
  const damaged = join(dir, 'damaged');
  mkdirSync(damaged);
  for (const name of readdirSync(r.dir, { recursive: true }) as string[]) {
    const src = join(r.dir, name);
    if (statSync(src).isDirectory()) mkdirSync(join(damaged, name), { recursive: true });
    else writeFileSync(join(damaged, name), readFileSync(src));
  }
  const key = readFileSync(join(damaged, 'keys/data.key'));
  key[0] = key[0] === 0x61 ? 0x62 : 0x61;
  writeFileSync(join(damaged, 'keys/data.key'), key);
  await t.rejects(restoreBackup({ from: damaged, dataDir: join(fresh, 'data'), configFile: join(fresh, 'etc/config.yaml') }), { code: 'INVALID_INPUT', message: /damaged; nothing was restored/, details: ['keys/data.key: SHA-256 does not match the manifest'] });
  t.notOk(existsSync(fresh), 'nothing written for a damaged backup');

  // A live edge on the target: refused.
  mkdirSync(join(fresh, 'data'), { recursive: true });
  writeFileSync(join(fresh, 'data/cunbox.lock'), `${process.pid}\n`);
  await t.rejects(restoreBackup({ from: r.dir, dataDir: join(fresh, 'data'), configFile: join(fresh, 'etc/config.yaml') }), { code: 'EDGE_RUNNING' });
  t.notOk(existsSync(join(fresh, 'etc')), 'nothing written beside a running edge');
  writeFileSync(join(fresh, 'data/cunbox.lock'), '999999999\n'); // a crashed edge's lock: no one holds it

  const done = await restoreBackup({ from: r.dir, dataDir: join(fresh, 'data'), configFile: join(fresh, 'etc/config.yaml') });
  t.equal(done.dataDir, join(fresh, 'data'));
  const config = loadConfigFile(join(fresh, 'etc/config.yaml'));
  t.equal(config.dataDir, join(fresh, 'data'), 'the restored config points at the new data directory');
  t.equal(config.cloud!.credentialsFile, join(fresh, 'etc/cloud-credentials.json'));
  t.same(readFileSync(config.cloud!.credentialsFile), readFileSync(join(dir, 'etc/cloud-credentials.json')), 'credentials back');
  t.same(readFileSync(config.http!.tls!.keyFile), readFileSync(join(dir, 'etc/tls/key.pem')), 'TLS key back');
  for (const k of ['data.key', 'audit.key']) t.same(readFileSync(join(fresh, 'data/keys', k)), readFileSync(join(dir, 'data/keys', k)), `${k} back`);
  t.equal(mode(join(fresh, 'data/keys')), 0o700);
  for (const p of ['data/keys/data.key', 'data/keys/audit.key', 'data/cunbox.db', 'etc/cloud-credentials.json', 'etc/tls/key.pem']) t.equal(mode(join(fresh, p)), 0o600, `${p} is 0600`);
  const db = openDatabase(join(fresh, 'data/cunbox.db'));
  t.equal((db.prepare('SELECT name FROM cameras WHERE id = ?').get(cameraRow.lastInsertRowid) as { name: string }).name, '东口', 'the camera is back');
  db.close();

  // Again: the database is there now.
  await t.rejects(restoreBackup({ from: r.dir, dataDir: join(fresh, 'data'), configFile: join(fresh, 'etc/config.yaml') }), { code: 'CONFLICT', details: [`${join(fresh, 'data/cunbox.db')}: a database is there`] });
  const forced = await restoreBackup({ from: r.dir, dataDir: join(fresh, 'data'), configFile: join(fresh, 'etc/config.yaml'), force: true });
  t.equal(forced.written.length, 7, '--force replaces');
  t.notOk(existsSync(join(fresh, 'data/cunbox.db-wal')), 'no stale WAL beside the restored database');
});

t.test('the CLI: backup into backup.dir keeps the newest `keep`; restore and version; --json', async (t) => {
  const dir = tmpDir(t, 'cunbox-backup-cli-');
  const inst = install(dir);
  inst.db.close();
  const dirs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await cli(['--config', inst.configFile, 'backup', '--json']);
    t.equal(r.code, 0, r.err);
    dirs.push((JSON.parse(r.out) as { dir: string }).dir);
    await new Promise((res) => setTimeout(res, 1100)); // one backup folder per second
  }
  t.same(listBackups(join(dir, 'backups')), dirs.slice(1).map((d) => d.split('/').at(-1)), 'keep: 2');
  const text = await cli(['--config', inst.configFile, 'backup', '--to', join(dir, 'usb')], { LANG: 'zh_CN.UTF-8' });
  t.equal(text.code, 0, text.err);
  t.match(text.out, /备份不含录像/);
  t.match(text.out, /cunbox\.db .*sha256 [0-9a-f]{16}/);

  const bad = await cli(['--data-dir', join(dir, 'other'), 'restore', join(dir, 'nothing-here')]);
  t.equal(bad.code, 64);
  t.match(bad.err, /not a cunbox backup: manifest\.json is missing/);
  // The config's cloud is nowhere (port 9): the restore says so after its wait and leaves the catch-up to the edge.
  const restored = await cli(['--data-dir', join(dir, 'restored-data'), '--config', join(dir, 'restored-etc/config.yaml'), 'restore', dirs.at(-1)!, '--json', '--cloud-wait', '1']);
  t.equal(restored.code, 0, restored.err);
  t.match(JSON.parse(restored.out), { dataDir: join(dir, 'restored-data'), cloud: { reached: false, recovered: 0 } });
  t.notOk(existsSync(join(dir, 'restored-data/cunbox.lock')), 'the lock taken for the catch-up is released');
  const again = await cli(['--data-dir', join(dir, 'restored-data2'), '--config', join(dir, 'restored-etc2/config.yaml'), 'restore', dirs.at(-1)!, '--cloud-wait', '1'], { LANG: 'zh_CN.UTF-8' });
  t.equal(again.code, 0, again.err);
  t.match(again.out, /云端未响应/);

  const v = await cli(['--config', join(dir, 'restored-etc/config.yaml'), 'version', '--json']);
  t.equal(v.code, 0, v.err);
  const info = JSON.parse(v.out);
  t.match(info, { version: /^\d+\.\d+\.\d+/, node: process.version, platform: `${process.platform}-${process.arch}`, ffmpeg: /^ffmpeg version / });
  t.same(info.schema, { known: migrations.length, lastKnown: migrations.at(-1)!.name, applied: migrations.length, lastApplied: migrations.at(-1)!.name, database: join(dir, 'restored-data/cunbox.db') });
  const plain = await cli(['version'], { LANG: 'C' });
  t.equal(plain.code, 0, plain.err);
  t.match(plain.out, /^cunbox \d+\.\d+\.\d+\nschema: no database; this version knows \d+\nnode: v/);
});
