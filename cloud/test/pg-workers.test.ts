/**
 * Several cloud workers on one PostgreSQL database: what one decides, another
 * cannot contradict. A pairing code is used once, presence keeps the newer,
 * audit entries are numbered without gaps, a phone session made on one worker
 * is honoured (and ended) on another, and sign-in failures count across them.
 */
import t from 'tap';
import { governanceModels } from '@cunbox/shared';
import type { CloudStoreOptions } from '../src/store.ts';
import { storeBackends } from './helpers/store-backends.ts';

const opts: CloudStoreOptions = { models: governanceModels, now: () => Date.UTC(2026, 0, 10, 12) };

const postgres = storeBackends(t).find((b) => b.name === 'postgres')!;

t.test('two workers share every decision through the database', async (t) => {
  const a = await postgres.open(t, opts);
  if (!a) return;
  const b = await postgres.worker!(t, opts);
  const v = await a.createVillage('东村');

  const code = await a.createPairCode(v.id, 60_000);
  const redeemed = await Promise.all([a.redeemPairCode(code), b.redeemPairCode(code), a.redeemPairCode(code), b.redeemPairCode(code)]);
  t.equal(redeemed.filter(Boolean).length, 1, 'a code is used once whichever worker gets it');
  const edgeId = redeemed.find(Boolean)!.edge.edgeId;

  const presences = Array.from({ length: 20 }, (_, i) => ({ online: i % 2 === 0, at: 100 + i }));
  await Promise.all(presences.map((p, i) => (i % 2 ? a : b).setPresence(edgeId, p)));
  t.match(await b.edge(edgeId), { online: false, presenceAt: 119 }, 'the newest presence stays');

  const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).audit.record(v.id, { at: i, actor: 'li', role: null, action: 'resident.read', target: null, detail: null, ip: null })));
  t.same(seqs.sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1), 'audit seqs 1..n, no gap, no repeat');

  await a.accounts.putUsers(v.id, edgeId, { v: 1, version: 'a', at: 1, users: [{ username: 'li', displayName: null, role: 'grid_worker', passwordHash: 'h', disabled: false, cameras: null }] });
  const s = await a.accounts.createSession(v.id, 'li', 3600_000);
  t.match(await b.accounts.session(s.token), { user: { username: 'li' } }, 'a session made on one worker is known to the other');
  await b.accounts.endSession(s.token);
  t.equal(await a.accounts.session(s.token), undefined, 'and ended for both');

  await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).accounts.loginFailures.add(`a:${v.id}:li`, 1000 + i)));
  t.equal((await a.accounts.loginFailures.since(`a:${v.id}:li`, 0)).length, 6, 'failed sign-ins on both workers count together');
});
