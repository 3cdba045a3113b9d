/**
 * What every cloud store must do, run against each backend (SQLite and
 * PostgreSQL): the sync engine, the phone API and the operator's tools see the
 * same answers whichever database holds the data.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { FieldCipher, governanceModels, verifyPassword, type EntityBase, type Op, type UsersMessage } from '@cunbox/shared';
import { simulate } from '@cunbox/test-support/gen-ops';
import { DEAD_LETTERS_PER_EDGE, type CloudStoreOptions } from '../src/store.ts';
import { PHONE_SESSION_IDLE_MS } from '../src/accounts.ts';
import { storeBackends } from './helpers/store-backends.ts';

const T0 = Date.UTC(2026, 0, 10, 12);

for (const backend of storeBackends(t)) {
  t.test(backend.name, async (t) => {
    let now = T0;
    const opts: CloudStoreOptions = { models: governanceModels, now: () => now, cipher: new FieldCipher(randomBytes(32)) };

    t.test('villages, pairing codes used once, edges and their summaries', async (t) => {
      const store = await backend.open(t, { ...opts, brokerHash: (p) => `broker:${p.length}` });
      if (!store) return;
      const east = await store.createVillage('东村');
      const west = await store.createVillage('西村');
      t.same(await store.village(east.id), east);
      t.equal(await store.village(999_999), undefined);
      const code = await store.createPairCode(east.id, 60_000);
      await t.rejects(store.createPairCode(999_999, 60_000), /no village/);
      t.equal(await store.redeemPairCode('WRONGCODE1'), undefined);
      const paired = await store.redeemPairCode(` ${code.toLowerCase()} `);
      t.ok(paired, 'the code as typed: spaces and case do not matter');
      t.equal(await store.redeemPairCode(code), undefined, 'used once');
      const late = await store.createPairCode(west.id, 1000);
      now += 2000;
      t.equal(await store.redeemPairCode(late), undefined, 'expired');
      const { edge, password } = paired!;
      t.same(await store.edge(edge.edgeId), { edgeId: edge.edgeId, villageId: east.id, node: null, online: false, presenceAt: 0 });
      const hash = await store.edgePasswordHash(edge.edgeId);
      t.ok(hash && (await verifyPassword(password, hash)));
      t.ok(await store.replaceEdgePasswordHash(edge.edgeId, hash!, 'rehashed'));
      t.notOk(await store.replaceEdgePasswordHash(edge.edgeId, hash!, 'again'), 'only from the hash held');
      t.same(await store.brokerHashes(), [{ edgeId: edge.edgeId, hash: `broker:${password.length}` }]);
      t.same(
        (await store.villages()).map((v) => ({ name: v.name, edges: v.edges })),
        [
          { name: '东村', edges: 1 },
          { name: '西村', edges: 0 },
        ],
      );
      await store.setEdgeNode(edge.edgeId, '00000000000000e1');
      t.match(await store.edges(east.id), [{ edgeId: edge.edgeId, villageName: '东村', online: false, opsCommitted: 0, downPending: 0, revokedAt: null }]);
      t.same(await store.edges(west.id), []);
      t.ok(await store.revokeEdge(edge.edgeId));
      t.notOk(await store.revokeEdge(edge.edgeId), 'already revoked');
      t.equal(await store.edgePasswordHash(edge.edgeId), undefined, 'a revoked edge cannot log in');
      t.same(await store.brokerHashes(), []);
      t.match(await store.edges(), [{ edgeId: edge.edgeId, revokedAt: now }]);
      const other = (await store.redeemPairCode(await store.createPairCode(west.id, 60_000)))!;
      await store.revokeEdge(other.edge.edgeId);
      t.same(await store.edgesWithoutBrokerHash(), [], 'revoked edges need no broker hash');
    });

    t.test('presence keeps the newer; marks, ops in and out, folds and reads', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      const v = await store.createVillage('东村');
      const { edge } = (await store.redeemPairCode(await store.createPairCode(v.id, 60_000)))!;
      t.ok(await store.setPresence(edge.edgeId, { online: true, at: 10 }));
      t.notOk(await store.setPresence(edge.edgeId, { online: false, at: 5 }), 'older presence ignored');
      t.notOk(await store.setPresence('nobody', { online: true, at: 5 }));
      t.match(await store.edge(edge.edgeId), { online: true, presenceAt: 10 });

      const ops = simulate([
        { node: 0, advance: 0, sync: false, entity: 0, template: 0, a: 1, b: 1, c: 1 },
        { node: 0, advance: 10, sync: false, entity: 0, template: 1, a: 2, b: 2, c: 2 },
        { node: 0, advance: 10, sync: false, entity: 1, template: 0, a: 3, b: 3, c: 3 },
      ]);
      const node = ops[0]!.origin;
      await store.setEdgeNode(edge.edgeId, node);
      const withNode = (await store.edge(edge.edgeId))!;
      const mine = ops.filter((o) => o.origin === node);
      t.ok(mine.length >= 2, 'the simulation gives the edge at least two ops');
      // The second op first: stored, but the committed mark waits for the gap to close.
      const first = await store.ingestEdgeOps(withNode, [mine[1]!]);
      t.match(first, { applied: 1, duplicates: 0, committed: 0 });
      const second = await store.ingestEdgeOps(withNode, mine);
      t.match(second, { applied: mine.length - 1, duplicates: 1, committed: mine.length });
      t.same(await store.marks(edge.edgeId), { opsCommitted: mine.length, eventsCommitted: 0, downAcked: 0 });
      await t.rejects(store.ingestEdgeOps(withNode, [{ ...mine[0]!, type: 'ticket.comment', payload: { commentId: 'x', text: 'y' } } as Op]), { code: 'CONFLICT' });

      const ticketId = mine[0]!.entityId;
      const [local] = await store.commit(v.id, 'phone:li', [{ entityKind: 'ticket', entityId: ticketId, type: 'ticket.comment', payload: { commentId: 'c1', text: '已到场' } }]);
      t.match(local, { origin: v.node, seq: 1, actor: 'phone:li' });
      t.ok(local!.hlc > mine.map((o) => o.hlc).sort().at(-1)!, 'orders after what the village has seen');
      await t.rejects(store.commit(v.id, 'x', [{ entityKind: 'nope', entityId: 'a', type: 'nope.x', payload: {} }]), { code: 'NOT_FOUND' });
      await t.rejects(store.commit(999_999, 'x', [{ entityKind: 'ticket', entityId: 'a', type: 'ticket.comment', payload: { commentId: 'c', text: 't' } }]), /no village/);
      const [next] = await store.commit(v.id, 'phone:li', [{ entityKind: 'ticket', entityId: ticketId, type: 'ticket.comment', payload: { commentId: 'c2', text: '完成' } }]);
      t.equal(next!.seq, 2, 'a failed commit took no seq');

      t.same((await store.opsAfter(v.id, v.node, 0, 10)).map((o) => o.seq), [1, 2]);
      // The downlink's heads: the cloud's own ops only (the edge's ingested ops are not sent back), and the village's audit.
      t.same(await store.downlinkHeads([edge.edgeId, 'nobody']), [{ edgeId: edge.edgeId, ops: 2, audit: 0 }], 'heads of known edges only');
      await store.audit.record(v.id, { at: 1, actor: 'phone:li', role: 'cadre', action: 'resident.read', target: null, detail: null, ip: null });
      t.same(await store.downlinkHeads([edge.edgeId]), [{ edgeId: edge.edgeId, ops: 2, audit: 1 }]);
      t.same(await store.downlinkHeads([]), []);
      t.same(await store.opsAfter(v.id, v.node, 1, 10), [next], 'ops come back as committed, opened');
      t.equal(await store.opCount(v.id), mine.length + 2);
      t.equal(await store.opCount(v.id, node), mine.length);
      const ticket = await store.entity<EntityBase & { comments: Array<{ id: string; text: string }> }>(v.id, 'ticket', ticketId);
      t.match(ticket, { comments: [{ id: 'c1', text: '已到场' }, { id: 'c2', text: '完成' }] });
      t.equal(await store.entity(v.id, 'ticket', 'no-such'), undefined);
      const listed = await store.list(v.id, 'ticket');
      t.ok(listed.some((s) => s.id === ticketId));
      t.same(
        listed.map((s) => s.createdAt),
        listed.map((s) => s.createdAt).sort((a, b) => (b ?? 0) - (a ?? 0)),
        'newest first',
      );
      const snap = await store.snapshot(v.id);
      t.same(Object.keys(snap), Object.keys(snap).sort());
      t.match(snap[`ticket/${ticketId}`], { comments: [{ id: 'c1' }, { id: 'c2' }] });

      await store.setDownAcked(edge.edgeId, 2);
      await store.setDownAcked(edge.edgeId, 1);
      t.equal((await store.marks(edge.edgeId)).downAcked, 2, 'an ack never moves back');
      await store.setDownAcked(edge.edgeId, 1, true);
      t.match(await store.edges(v.id), [{ downPending: 1 }], 'exact: the edge says where it stands');
    });

    t.test('events continue their stream, and the phone filters them', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      const v = await store.createVillage('东村');
      const { edge } = (await store.redeemPairCode(await store.createPairCode(v.id, 60_000)))!;
      const ev = (id: number, cameraId: number | null, type = 'motion') => ({ id, cameraId, type, atMs: T0 + id * 1000, detail: { n: id } });
      t.equal(await store.ingestEdgeEvents(edge.edgeId, 0, [ev(1, 1), ev(2, 2), ev(3, null, 'offline')]), 3);
      t.equal(await store.ingestEdgeEvents(edge.edgeId, 5, [ev(6, 1)]), 3, 'a batch past the watermark waits for the one lost');
      t.equal(await store.ingestEdgeEvents(edge.edgeId, 2, [ev(3, null, 'offline'), ev(4, 1)]), 4, 'overlap is fine');
      t.equal(await store.eventCount(edge.edgeId), 4);
      t.same((await store.events(v.id, { limit: 10 })).map((e) => e.id), [4, 3, 2, 1]);
      t.same((await store.events(v.id, { limit: 10, cameras: new Set([1]) })).map((e) => e.id), [4, 1]);
      t.same((await store.events(v.id, { limit: 10, cameraId: 2 })).map((e) => e.id), [2]);
      t.same((await store.events(v.id, { limit: 10, type: 'offline' })).map((e) => e.id), [3]);
      t.same((await store.events(v.id, { limit: 10, id: 2 })).map((e) => e.id), [2], 'one event by its id');
      t.same(await store.events(v.id, { limit: 10, id: 2, cameras: new Set([1]) }), [], 'not when it is of a camera outside the set');
      t.same((await store.events(v.id, { limit: 2, since: T0 + 2000, until: T0 + 4000 })).map((e) => e.id), [3, 2]);
      t.same((await store.events(v.id, { limit: 1 }))[0], { edgeId: edge.edgeId, id: 4, cameraId: 1, type: 'motion', atMs: T0 + 4000, detail: { n: 4 } });
    });

    t.test('dead letters: kept per edge up to the cap, the rest counted', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      const letter = (edgeId: string | null, i: number) => ({ topic: `cunbox/${edgeId}/up/ops`, edgeId, reason: `bad ${i}`, payload: Buffer.alloc(70 * 1024, i % 256), at: T0 + i });
      await store.addDeadLetters(Array.from({ length: DEAD_LETTERS_PER_EDGE + 3 }, (_, i) => letter('e1', i)));
      await store.addDeadLetters([letter(null, 0)], new Map([['e2', 4]]));
      t.same(await store.deadLetterCounts(), [
        { edgeId: null, kept: 1, dropped: 0 },
        { edgeId: 'e1', kept: DEAD_LETTERS_PER_EDGE, dropped: 3 },
        { edgeId: 'e2', kept: 0, dropped: 4 },
      ]);
      const all = await store.deadLetters();
      t.match(all[0], { edgeId: 'e1', reason: 'bad 3', bytes: 70 * 1024 }, 'the oldest went');
      const payload = await store.deadLetterPayload(all[0]!.id);
      t.equal(payload?.length, 64 * 1024, 'at most 64 KiB of a payload kept');
      t.equal(await store.deadLetterPayload(123_456_789), undefined);
    });

    t.test('accounts: snapshots, case-blind names, sessions that end, failed sign-ins', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      const v = await store.createVillage('东村');
      const user = (username: string, passwordHash: string, disabled = false) => ({ username, displayName: '李四', role: 'grid_worker' as const, passwordHash, disabled, cameras: null });
      const snapshot = (version: string, at: number, users: UsersMessage['users']): UsersMessage => ({ v: 1, version, at, users });
      t.same(await store.accounts.putUsers(v.id, 'e1', snapshot('a', 100, [user('Li', 'h1'), user('wang', 'h2'), user('zhao', 'h3')])), { applied: true, sessionsEnded: 0 });
      t.same(await store.accounts.putUsers(v.id, 'e1', snapshot('a', 100, [])), { applied: false, sessionsEnded: 0 }, 'the same snapshot again');
      t.same(await store.accounts.usersVersion(v.id), { version: 'a', at: 100, edgeId: 'e1', users: 3 });
      t.same(await store.accounts.user(v.id, 'LI'), { villageId: v.id, username: 'Li', displayName: '李四', role: 'grid_worker', disabled: false, cameras: null });
      t.equal(await store.accounts.passwordHash(v.id, 'li'), 'h1');
      const li = await store.accounts.createSession(v.id, 'Li', 7 * PHONE_SESSION_IDLE_MS);
      const wang = await store.accounts.createSession(v.id, 'wang', 3600_000);
      const zhao = await store.accounts.createSession(v.id, 'zhao', 3600_000);
      t.match(await store.accounts.session(li.token), { villageId: v.id, user: { username: 'Li' }, expiresAt: li.expiresAt });
      t.equal(await store.accounts.session('cbp_forged'), undefined);
      t.equal(await store.accounts.session('not-a-token'), undefined);
      t.same(await store.accounts.putUsers(v.id, 'e1', snapshot('old', 50, [])), { applied: false, sessionsEnded: 0 }, 'an older snapshot arriving late');
      // wang's password changed, zhao disabled: their sessions end; Li's stays.
      t.same(await store.accounts.putUsers(v.id, 'e1', snapshot('b', 200, [user('li', 'h1'), user('wang', 'new'), user('zhao', 'h3', true)])), { applied: true, sessionsEnded: 2 });
      t.ok(await store.accounts.session(li.token));
      t.equal(await store.accounts.session(wang.token), undefined);
      t.equal(await store.accounts.session(zhao.token), undefined);
      const all = await store.accounts.users(v.id);
      t.same(all.map((u) => [u.username, u.disabled]), [['li', false], ['wang', false], ['zhao', true]], 'every user of the village, by name, disabled ones too');
      t.same(Object.keys(all[0]!).sort(), ['cameras', 'disabled', 'displayName', 'role', 'username', 'villageId'], 'never the password hash');
      t.same(await store.accounts.users(999_999), [], 'no other village\'s users');
      now += PHONE_SESSION_IDLE_MS - 1000;
      t.ok(await store.accounts.session(li.token), 'used within the idle time');
      now += PHONE_SESSION_IDLE_MS + 1;
      t.equal(await store.accounts.session(li.token), undefined, 'idle too long');
      const again = await store.accounts.createSession(v.id, 'li', 3600_000);
      await store.accounts.endSession(again.token);
      t.equal(await store.accounts.session(again.token), undefined, 'signed out');

      const f = store.accounts.loginFailures;
      await f.add('a:1:li', now - 10);
      await f.add('a:1:li', now - 5);
      await f.add('ip:1.2.3.4', now - 5);
      t.same(await f.since('a:1:li', now - 7), [now - 5]);
      await f.clear('a:1:li');
      t.same(await f.since('a:1:li', 0), []);
      t.same(await f.since('ip:1.2.3.4', 0), [now - 5]);
    });

    t.test('media index: an object once, owners per village, found by hash or by the edge\'s ref', async (t) => {
      const media = await backend.openMedia(t, () => now);
      if (!media) return;
      const sha = 'a'.repeat(64);
      t.equal(await media.object(sha), undefined);
      await media.stored({ sha256: sha, size: 1234, mime: 'image/jpeg' }, { villageId: 1, kind: 'photo', ref: 'p1', edgeId: 'e1' });
      await media.stored({ sha256: sha, size: 1234, mime: 'image/jpeg' }, { villageId: 2, kind: 'photo', ref: 'p9', edgeId: 'e2' });
      t.same(await media.object(sha), { sha256: sha, size: 1234, mime: 'image/jpeg' });
      t.ok(await media.owns(1, sha));
      t.notOk(await media.owns(3, sha), 'another village reads nothing it was not sent');
      await media.addOwner({ villageId: 1, sha256: 'b'.repeat(64), kind: 'photo', ref: 'p1', edgeId: 'e1' });
      t.same(await media.find(1, 'p1'), { villageId: 1, sha256: sha, kind: 'photo', ref: 'p1', edgeId: 'e1', at: now, size: 1234, mime: 'image/jpeg' }, 'the first (kind, ref) wins');
      t.match(await media.find(2, sha), { ref: 'p9', edgeId: 'e2' });
      t.equal(await media.find(3, sha), undefined);
    });

    t.test('a list a page at a time: newest first, ties by id, the pages make the whole list', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      const v = await store.createVillage('南村');
      const other = await store.createVillage('北村');
      const ticket = (n: number) => ({ entityKind: 'ticket', entityId: `01JD${String(n).padStart(22, '0')}`, type: 'ticket.created', payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: `t${n}`, place: '东口', lat: null, lng: null, photos: [], anonymous: false, reporter: 'li' } });
      // Three at one time (a tie the id breaks), then one a minute for four more.
      await store.commit(v.id, 'phone:li', [ticket(1), ticket(2), ticket(3)]);
      for (let n = 4; n <= 7; n++) {
        now += 60_000;
        await store.commit(v.id, 'phone:li', [ticket(n)]);
      }
      await store.commit(other.id, 'phone:li', [ticket(8)]);
      const whole = (await store.list<EntityBase>(v.id, 'ticket')).map((s) => s.id);
      t.equal(whole.length, 7);
      const paged: string[] = [];
      let before: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await store.listPage<EntityBase>(v.id, 'ticket', 3, before);
        paged.push(...page.map((s) => s.id));
        if (page.length < 3) break;
        const last = page[page.length - 1]!;
        before = { createdAt: last.createdAt!, id: last.id };
      }
      t.same(paged, whole, 'pages of 3 give the list, in its order, once each');
      t.same(paged.slice(0, 4), [7, 6, 5, 4].map((n) => ticket(n).entityId), 'newest first');
      t.same(paged.slice(4), [3, 2, 1].map((n) => ticket(n).entityId), 'a tie in time goes by id, descending');
      t.same(await store.listPage(v.id, 'announcement', 3), [], 'another kind: nothing');
    });

    t.test('audit: numbered per village without gaps, acked per edge', async (t) => {
      const store = await backend.open(t, opts);
      if (!store) return;
      const a = await store.createVillage('东村');
      const b = await store.createVillage('西村');
      const entry = (action: string) => ({ at: T0, actor: 'li', role: 'grid_worker', action, target: 'resident/1', detail: { fields: ['idNumber'] }, ip: '10.0.0.1' });
      t.same(await Promise.all([store.audit.record(a.id, entry('x')), store.audit.record(a.id, entry('y')), store.audit.record(b.id, entry('z'))]).then((s) => s.sort()), [1, 1, 2]);
      t.equal(await store.audit.count(a.id), 2);
      t.same((await store.audit.after(a.id, 1, 10)).map((e) => e.seq), [2]);
      t.match((await store.audit.after(b.id, 0, 10))[0], { seq: 1, action: 'z', detail: { fields: ['idNumber'] } });
      t.equal(await store.audit.acked('e1'), 0);
      await store.audit.setAcked('e1', 2);
      await store.audit.setAcked('e1', 1);
      t.equal(await store.audit.acked('e1'), 2);
      await store.audit.setAcked('e1', 1, true);
      t.equal(await store.audit.acked('e1'), 1);
    });
  });
}
