/**
 * The one config switch: a cloud whose config says `store: { kind: postgres,
 * url_file }` keeps everything in PostgreSQL. A real cloud (embedded broker,
 * HTTP), a real edge synced to it, a phone that signs in with the edge's
 * account and files a ticket: the ticket is in the PostgreSQL database, at
 * the edge, and no SQLite file was made. The URL's password is never logged.
 */
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import pg from 'pg';
import type { TicketState } from '@cunbox/shared';
import { Cloud, parseCloudConfig } from '../src/index.ts';
import { startPostgres } from '@cunbox/test-support/postgres';
import { OPERATOR_TOKEN } from '@cunbox/test-support/brokers';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';
import { passwordOf, startVillageEdge, type PairedVillage } from './helpers/phone.ts';

const PASSWORD = 'Db-Secret-7f3a';

t.test('store.kind postgres: a phone sign-in and its ticket reach PostgreSQL and the edge', async (t) => {
  const server = startPostgres(t);
  if (!server) return;
  const dir = tmpDir(t, 'cunbox-cloud-pg-');
  // A password in the URL, as in production (the throwaway server trusts the socket and never asks for it).
  const url = server.url.replace('postgresql://postgres@', `postgresql://postgres:${PASSWORD}@`);
  t.not(url, server.url, 'the URL carries a password');
  writeFileSync(join(dir, 'db-url'), `${url}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'token'), OPERATOR_TOKEN);
  const config = parseCloudConfig('data_dir: data\noperator_token_file: token\nstore:\n  kind: postgres\n  url_file: db-url\nhttp:\n  port: 0\nmqtt:\n  port: 0\n', join(dir, 'cloud.yaml'));
  t.match(config.store, { kind: 'postgres' });

  let logged = '';
  const log = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()) }));
  const cloud = new Cloud({ config, log, phoneApp: null });
  await cloud.start();
  t.teardown(() => cloud.stop());
  t.throws(() => cloud.store, /PostgreSQL/, 'no synchronous SQLite store to reach for');

  const base = `http://127.0.0.1:${cloud.httpPort}`;
  const call = async (method: string, path: string, body?: unknown, token = OPERATOR_TOKEN) => {
    const r = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as any };
  };
  const village = await call('POST', '/api/villages', { name: '东村' });
  t.equal(village.status, 201);
  const code = await call('POST', `/api/villages/${village.json.id}/pair-codes`);
  const paired = await call('POST', '/api/pair', { code: code.json.code });
  t.equal(paired.status, 200, 'an edge pairs');
  const edge = await startVillageEdge(t, dir, paired.json as PairedVillage, 'edge', [{ username: 'zhangsan', role: 'villager' }]);
  await waitFor('the edge\'s accounts at the cloud', async () => (await cloud.data.accounts.user(village.json.id, 'zhangsan')) !== undefined);

  const phone = `/api/v1/villages/${village.json.id}`;
  const login = await call('POST', `${phone}/login`, { username: 'zhangsan', password: passwordOf('zhangsan') }, '');
  t.equal(login.status, 200, 'the phone signs in with the edge\'s account');
  const filed = await call('POST', `${phone}/tickets`, { category: 'garbage', description: '桥头有垃圾', place: '东村桥头' }, login.json.token);
  t.equal(filed.status, 201, 'the phone files a ticket');
  const id = filed.json.ticket.id as string;
  const read = await call('GET', `${phone}/tickets/${id}`, undefined, login.json.token);
  t.match(read.json.ticket, { id, reporter: 'zhangsan', status: 'submitted' }, 'and reads it back');

  // In the PostgreSQL database itself, through a connection of our own.
  const direct = new pg.Client({ connectionString: server.url });
  await direct.connect();
  t.teardown(() => direct.end());
  const rows = await direct.query<{ n: string }>("SELECT count(*) AS n FROM entities WHERE village_id = $1 AND kind = 'ticket' AND id = $2", [village.json.id, id]);
  t.equal(Number(rows.rows[0]!.n), 1, 'the ticket is a row in PostgreSQL');
  t.notOk(existsSync(join(dir, 'data', 'cloud.db')), 'no SQLite database was made');
  await waitFor('the ticket at the edge', () => edge.gov.store.get<TicketState>('ticket', id)?.reporter === 'zhangsan');
  t.same(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' }, 'liveness asks PostgreSQL');
  t.ok(cloud.healthy(), 'the watchdog sees a healthy cloud');
  t.notOk(logged.includes(PASSWORD), 'the database password is never logged');
});

t.test('the store config: sqlite by default, postgres only with a URL file, errors that never show the URL', async (t) => {
  const dir = tmpDir(t, 'cunbox-cloud-store-config-');
  writeFileSync(join(dir, 'token'), OPERATOR_TOKEN);
  writeFileSync(join(dir, 'db-url'), `postgresql://cloud:${PASSWORD}@db.internal/cunbox\n`);
  writeFileSync(join(dir, 'not-a-url'), `host=db.internal password=${PASSWORD}\n`);
  const parse = (yaml: string) => parseCloudConfig(`data_dir: d\noperator_token_file: token\n${yaml}`, join(dir, 'c.yaml'));
  t.same(parse('').store, { kind: 'sqlite' }, 'no store key: SQLite, as before');
  t.same(parse('store: { kind: sqlite }\n').store, { kind: 'sqlite' });
  t.same(parse('store: { kind: postgres, url_file: db-url }\n').store, { kind: 'postgres', url: `postgresql://cloud:${PASSWORD}@db.internal/cunbox` }, 'the URL read from its file');
  t.throws(() => parse('store: { kind: postgres }\n'), /store.kind postgres needs store.url_file/);
  t.throws(() => parse('store: { kind: sqlite, url_file: db-url }\n'), /url_file is for store.kind postgres/);
  t.throws(() => parse('store: { kind: mysql }\n'), /\/store\/kind must be equal to one of the allowed values/);
  t.throws(() => parse('store: { kind: postgres, url: postgresql://x }\n'), /must NOT have additional properties/, 'the URL itself is not taken in the YAML');
  try {
    parse('store: { kind: postgres, url_file: not-a-url }\n');
    t.fail('a file without a URL is refused');
  } catch (err) {
    t.match((err as Error).message, /does not hold a postgresql:\/\/ URL/);
    t.notOk((err as Error).message.includes(PASSWORD), 'the error does not show the file\'s content');
  }
});
