import t, { type Test } from 'tap';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { loadConfigFile } from '../src/config/load.ts';
import { openDatabase } from '../src/db/database.ts';
import { HttpPart } from '../src/api/part.ts';
import { AuditLog } from '../src/api/audit.ts';
import { HoldStore } from '../src/storage/holds.ts';
import { UserStore } from '../src/auth/users.ts';
import { testGovernance } from '@cunbox/test-support/governance';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { writeSelfSignedTls } from '../src/api/tls.ts';
import { FieldCipher } from '@cunbox/shared';
import { tmpDir } from '@cunbox/test-support/tmp';
import { accessParts } from '@cunbox/test-support/edge-access';
import { cli } from '@cunbox/test-support/edge-cli';

function configIn(dir: string, http = '\nhttp:\n  host: 127.0.0.1\n  port: 0\n', name = 'config'): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `# the office box\ndata_dir: ${join(dir, `${name}-data`)}\n${http}`);
  return file;
}

async function startPart(t: Test, configFile: string) {
  const config = loadConfigFile(configFile);
  const db = openDatabase(join(config.dataDir, 'cunbox.db'));
  const clock = systemClock;
  const log = silentLogger();
  const users = new UserStore({ db, clock });
  await users.create({ username: 'zhang', password: 'Secret-pw-4711', role: 'admin' });
  const governance = testGovernance({ db, clock, log, dataDir: config.dataDir, users, holds: new HoldStore({ db, clock }), cipher: new FieldCipher(randomBytes(32)) });
  const api = { db, clock, log, users, governance, audit: new AuditLog({ db, clock, key: randomBytes(32) }), ...accessParts({ db, clock, users }), cameraExists: () => false };
  const part = new HttpPart({ clock, log, http: config.http!, api, auditRetentionDays: 365 });
  t.teardown(async () => {
    await part.stop();
    db.close();
  });
  await part.start();
  return part;
}

function post(port: number, path: string, body: unknown): Promise<{ status: number; headers: Record<string, unknown>; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, fingerprint }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

t.test('cunbox tls create turns HTTPS on: the certificate the API serves has the printed fingerprint, cookies are Secure, HSTS is sent', async (t) => {
  const dir = tmpDir(t);
  const configFile = configIn(dir);
  const made = await cli(['--config', configFile, 'tls', 'create', '--host', '127.0.0.1', '--host', 'cunbox.lan'], { LANG: 'zh_CN.UTF-8' });
  t.equal(made.code, 0, made.err);
  const printed = /SHA-256 指纹[^\n]*\n\s+([0-9A-F:]{95})/.exec(made.out)?.[1];
  t.ok(printed, made.out);
  const yaml = readFileSync(configFile, 'utf8');
  t.match(yaml, /# the office box/, 'comments kept');
  t.match(yaml, /tls:\n\s+cert: tls\/cert\.pem\n\s+key: tls\/key\.pem/);
  t.equal(statSync(join(dir, 'tls', 'key.pem')).mode & 0o777, 0o600, 'the private key is private');

  const part = await startPart(t, configFile);
  const login = await post(part.address.port, '/api/auth/login', { username: 'zhang', password: 'Secret-pw-4711' });
  t.equal(login.status, 200);
  t.equal(login.fingerprint, printed, 'the browser sees the fingerprint the technician was told');
  t.match(String(login.headers['set-cookie']), /; Secure/);
  t.equal(login.headers['strict-transport-security'], 'max-age=31536000');

  // Plain HTTP to the HTTPS port gets no API.
  const plain = await new Promise<string>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: part.address.port, path: '/api/auth/me' }, (res) => resolve(`status ${res.statusCode}`));
    req.on('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code}`));
    req.end();
  });
  t.notMatch(plain, /status 200/);

  const shown = await cli(['--config', configFile, 'tls', 'show', '--json']);
  t.equal(JSON.parse(shown.out).fingerprint, printed);
  t.match(await cli(['--config', configFile, 'tls', 'create']), { code: 64, err: /already on.*--force/ });
});

t.test('a key that is not the certificate\'s, or no http section, is a clear error', async (t) => {
  const dir = tmpDir(t);
  t.match(await cli(['--config', configIn(dir, ''), 'tls', 'create', '--host', '127.0.0.1']), { code: 64, err: /no http: section/ });

  const a = await writeSelfSignedTls({ certFile: join(dir, 'a.pem'), keyFile: join(dir, 'a.key') }, ['127.0.0.1']);
  await writeSelfSignedTls({ certFile: join(dir, 'b.pem'), keyFile: join(dir, 'b.key') }, ['127.0.0.1']);
  t.ok(a.fingerprint);
  const mixed = configIn(dir, `\nhttp:\n  host: 127.0.0.1\n  port: 0\n  tls:\n    cert: a.pem\n    key: b.key\n`, 'mixed');
  await t.rejects(startPart(t, mixed), { code: 'CONFIG_INVALID', message: /b\.key is not the private key of .*a\.pem/ });
  const missing = configIn(dir, `\nhttp:\n  host: 127.0.0.1\n  port: 0\n  tls:\n    cert: nope.pem\n    key: b.key\n`, 'missing');
  await t.rejects(startPart(t, missing), { code: 'CONFIG_INVALID', message: /http\.tls\.cert: cannot read .*nope\.pem \(ENOENT\)/ });
});

t.test('stopping the API ends connections still in use (a half-sent request, a live view nobody reads)', async (t) => {
  const dir = tmpDir(t);
  const part = await startPart(t, configIn(dir));
  const { connect } = await import('node:net');
  const socket = connect(part.address.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  // Headers never finished: the server holds a busy connection that close() alone would wait on for ever.
  socket.write('GET /healthz HTTP/1.1\r\nHost: box\r\n');
  const closed = new Promise((r) => socket.once('close', r));
  socket.on('error', () => {});
  const stopped = part.stop().then(() => 'stopped');
  const late = new Promise((r) => setTimeout(() => r('still waiting after 20 s'), 20_000).unref());
  t.equal(await Promise.race([stopped, late]), 'stopped');
  await closed;
  t.pass('the connection was closed');
});
