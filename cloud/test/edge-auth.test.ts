/**
 * Edge logins (HTTP Basic on media, MQTT CONNECT to the embedded broker)
 * against a real cloud on loopback: scrypt must not run on the event loop,
 * failures are limited per address and per edge id, and a success is cached.
 * Nothing here asserts a latency: the loop's own utilisation and a timer's
 * ticks say whether it was blocked (latencies: scripts/bench/edge-auth.ts).
 */
import t, { type Test } from 'tap';
import { testCloudStore } from '@cunbox/test-support/cloud-store';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { pino } from 'pino';
import Database from 'better-sqlite3';
import { governanceModels } from '@cunbox/shared';
import { Cloud, SqliteCloudStore } from '../src/index.ts';
import { EdgeAuthenticator } from '../src/edge-auth.ts';
import { LoginLimiter } from '../src/phone/rate-limit.ts';
import { asyncStore } from '../src/store-async.ts';
import { OPERATOR_TOKEN } from '@cunbox/test-support/brokers';
import { tmpDir } from '@cunbox/test-support/tmp';

interface Rig {
  cloud: Cloud;
  url: string;
  edgeId: string;
  password: string;
  mqttUrl: string;
}

async function startCloud(t: Test, edgeAuth: ConstructorParameters<typeof Cloud>[0]['edgeAuth']): Promise<Rig> {
  const dir = tmpDir(t, 'cunbox-edge-auth-');
  const cloud = new Cloud({
    config: { dataDir: join(dir, 'cloud'), store: testCloudStore(join(dir, 'cloud')), http: { host: '127.0.0.1', port: 0 }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, publicUrl: null } },
    log: pino({ level: process.env.CUNBOX_TEST_LOG ?? 'silent' }),
    edgeAuth,
  });
  await cloud.start();
  t.teardown(() => cloud.stop());
  const url = `http://127.0.0.1:${cloud.httpPort}`;
  const op = async (path: string, body?: unknown) =>
    (await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })).json() as Promise<any>;
  const village = await op('/api/villages', { name: '东村' });
  const { code } = await op(`/api/villages/${village.id}/pair-codes`);
  const paired = await (await fetch(`${url}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })).json() as any;
  return { cloud, url, edgeId: paired.edgeId, password: paired.password, mqttUrl: paired.mqttUrl };
}

const claim = (rig: Rig, password: string) =>
  fetch(`${rig.url}/api/media/claims`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${rig.edgeId}:${password}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sha256: 'a'.repeat(64), size: 10, kind: 'ticket-photo', ref: 'r1' }),
  });

t.test('40 wrong passwords at once are checked off the event loop', async (t) => {
  const rig = await startCloud(t, { limits: { perAccount: 1000, perAddress: 1000 }, options: { maxRunningPerAddress: 1000 } });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  // Each a different password: a burst of one wrong password would share one check.
  const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => claim(rig, `wrong-${i}`).then((r) => r.status)));
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  clearInterval(timer);
  t.same(new Set(statuses), new Set([401]), 'every attempt refused as bad credentials');
  // scryptSync would keep the loop busy for the whole burst (utilisation near 1) and the timer
  // would fire about once per request; off the loop both are far from that. Generous slack.
  t.ok(elu.utilization < 0.5, `the event loop was mostly idle while scrypt ran (utilisation ${elu.utilization.toFixed(2)})`);
  t.ok(ticks >= (elapsed / 10) * 0.15, `a 10 ms timer kept firing (${ticks} ticks in ${elapsed.toFixed(0)} ms)`);
  t.ok(rig.cloud.edgeAuth.stats.scrypts >= 40, 'each was checked with scrypt');
});

t.test('failures are limited per address (HTTP and MQTT); an edge already let in still gets in', async (t) => {
  const rig = await startCloud(t, { limits: { perAccount: 1000, perAddress: 5 } });
  t.equal((await claim(rig, rig.password)).status, 200, 'the right password works');
  for (let i = 0; i < 5; i++) t.equal((await claim(rig, `wrong-${i}`)).status, 401);
  const limited = await claim(rig, 'wrong-again');
  t.equal(limited.status, 429, 'the sixth failure from this address is refused without a check');
  t.match(await limited.json(), { error: { code: 'RATE_LIMITED' } });
  t.ok(Number(limited.headers.get('retry-after')) > 0, 'with Retry-After');
  const scrypts = rig.cloud.edgeAuth.stats.scrypts;
  t.equal((await claim(rig, rig.password)).status, 200, 'the edge, verified before, is let in from its cache');
  t.equal(rig.cloud.edgeAuth.stats.scrypts, scrypts, 'without another scrypt');
  // MQTT CONNECT shares the limits: a wrong password from here is refused, the known edge connects.
  const bad = await mqtt.connectAsync(rig.mqttUrl, { username: rig.edgeId, password: 'nope', reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 }).catch((err: Error & { code?: number }) => err);
  t.ok(bad instanceof Error, 'a wrong MQTT password is refused');
  t.equal((bad as { code?: number }).code, 5, 'as not authorised: over the limit, not checked');
  const good = await mqtt.connectAsync(rig.mqttUrl, { username: rig.edgeId, password: rig.password, reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 5000 });
  t.ok(good.connected, 'the edge connects');
  await good.endAsync();
});

t.test('failures are limited per edge id across addresses; a burst of one right login runs scrypt once', async (t) => {
  const dir = tmpDir(t, 'cunbox-edge-auth-unit-');
  const store = SqliteCloudStore.open({ file: join(dir, 'cloud.db'), models: governanceModels });
  t.teardown(() => store.close());
  const v = store.createVillage('东村');
  const { edge, password } = store.redeemPairCode(store.createPairCode(v.id, 60_000))!;
  const auth = new EdgeAuthenticator({ store: asyncStore(store), limiter: new LoginLimiter({ now: Date.now, limits: { perAccount: 3, perAddress: 100, windowMs: 60_000 } }), now: Date.now });
  const burst = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(edge.edgeId, password, '10.0.0.1')));
  t.ok(burst.every((r) => r.ok), 'all let in');
  t.equal(auth.stats.scrypts, 1, 'one scrypt for the whole burst, the rest waited for it or hit the cache');
  for (const address of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) t.match(await auth.authenticate(edge.edgeId, `guess-${address}`, address), { ok: false, reason: 'credentials' });
  t.match(await auth.authenticate(edge.edgeId, 'guess-5', '10.0.0.5'), { ok: false, reason: 'rate-limited' }, 'a fourth address guessing the same edge is refused unchecked');
  t.match(await auth.authenticate(edge.edgeId, password, '10.0.0.1'), { ok: true }, 'the edge itself, cached, is not locked out');
  t.match(await auth.authenticate('ffffffffffffffff', password, '10.0.0.6'), { ok: false, reason: 'credentials' }, 'an unknown edge id is refused');
});

t.test("an edge secret stored in the cloud's old hash format still logs in, and is stored again in the one format", async (t) => {
  const dir = tmpDir(t, 'cunbox-edge-auth-rehash-');
  const file = join(dir, 'cloud.db');
  const store = SqliteCloudStore.open({ file, models: governanceModels });
  t.teardown(() => store.close());
  const v = store.createVillage('西村');
  const { edge } = store.redeemPairCode(store.createPairCode(v.id, 60_000))!;
  t.match(store.edgePasswordHash(edge.edgeId), /^scrypt\$16384\$8\$1\$[^$]+\$[^$]+$/, 'pairing stores the one format (at the cost for machine secrets)');
  // What pairing stored before the formats were one: `scrypt$<salt hex>$<key hex>` of this secret.
  const secret = 'edge-secret-Abc123';
  const old = 'scrypt$1993855a94f51b0a604d84845d680a05$129ad442c7a8ff2e264591f07a8c124bfa7098c60270787fbb5eae2f24f21fcc';
  const db = new Database(file);
  db.prepare('UPDATE edges SET password_hash = ? WHERE edge_id = ?').run(old, edge.edgeId);
  db.close();
  const auth = new EdgeAuthenticator({ store: asyncStore(store), limiter: new LoginLimiter({ now: Date.now, limits: { perAccount: 3, perAddress: 100, windowMs: 60_000 } }), now: Date.now });
  t.match(await auth.authenticate(edge.edgeId, secret, '10.0.0.1'), { ok: true }, 'the old hash verifies');
  const until = Date.now() + 20_000;
  while (store.edgePasswordHash(edge.edgeId) === old && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const now = store.edgePasswordHash(edge.edgeId)!;
  t.match(now, /^scrypt\$16384\$8\$1\$/, 'written again in the one format after the login');
  t.equal(auth.stats.rehashed, 1);
  const fresh = new EdgeAuthenticator({ store: asyncStore(store), limiter: new LoginLimiter({ now: Date.now, limits: { perAccount: 3, perAddress: 100, windowMs: 60_000 } }), now: Date.now });
  t.match(await fresh.authenticate(edge.edgeId, secret, '10.0.0.1'), { ok: true }, 'the new hash verifies the same secret');
  t.match(await fresh.authenticate(edge.edgeId, 'edge-secret-Abc124', '10.0.0.2'), { ok: false, reason: 'credentials' });
  t.equal(store.edgePasswordHash(edge.edgeId), now, 'a current hash is left alone');
});
