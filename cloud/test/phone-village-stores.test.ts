/**
 * The phone's governance commands on the asynchronous store: they read their
 * lookups synchronously, so they run over state loaded before them
 * (phone/loaded-lookups.ts). The loaded lookups refuse any read not loaded
 * (never answering "absent" for a row nobody read); the runner loads what a
 * pass missed; the commands then commit on either backend.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { CunboxError, DEFAULT_TICKET_CATEGORIES, FieldCipher, governanceModels, ticketCategories, ticketCommands, type EntityBase, type TicketState } from '@cunbox/shared';
import type { CloudStoreOptions } from '../src/store.ts';
import { LoadedState, NotLoaded, overLoaded, type StateSource } from '../src/phone/loaded-lookups.ts';
import { Village, type PhoneContext } from '../src/phone/context.ts';
import { LoginLimiter } from '../src/phone/rate-limit.ts';
import { storeBackends } from './helpers/store-backends.ts';

const T0 = Date.UTC(2026, 0, 10, 12);
const fail = (code: ConstructorParameters<typeof CunboxError>[0], message: string) => new CunboxError(code, message);

/** A source over fixed rows that counts what it was asked. */
function countingSource(rows: Record<string, EntityBase>, accounts: Record<string, { role: 'cadre' | 'grid_worker' }>) {
  const asked: string[] = [];
  const source: StateSource = {
    entity: async (kind, id) => (asked.push(`entity ${kind}/${id}`), rows[`${kind}/${id}`]),
    list: async (kind) => (asked.push(`list ${kind}`), Object.entries(rows).filter(([k]) => k.startsWith(`${kind}/`)).map(([, v]) => v)),
    account: async (username) => (asked.push(`account ${username}`), accounts[username] && { username, role: accounts[username].role, disabled: false }),
    media: async (id) => (asked.push(`media ${id}`), id === 'photo-1' ? { mime: 'image/jpeg' } : undefined),
    badMedia: (id) => fail('INVALID_INPUT', `no uploaded photo ${id}`),
  };
  return { source, asked };
}

t.test('the loaded lookups refuse every read that was not loaded, and answer absent only for rows read', async (t) => {
  const state = new LoadedState();
  const look = state.lookups(T0, () => 'id', (id) => fail('INVALID_INPUT', id));
  t.throws(() => look.get('ticket', 'a'), NotLoaded, 'an entity not loaded');
  t.throws(() => look.getOrInit('ticket_category', 'garbage'), NotLoaded, 'a config entity not loaded is not taken for its default');
  t.throws(() => look.list('ticket'), NotLoaded, 'a list not loaded');
  t.throws(() => look.account('liwei'), NotLoaded, 'an account not loaded');
  t.throws(() => look.requireMedia(['photo-1'], 'image'), NotLoaded, 'media not loaded');
  const { source } = countingSource({}, {});
  await state.load({ entity: { kind: 'ticket', id: 'a' } }, source);
  await state.load({ account: 'liwei' }, source);
  await state.load({ media: 'photo-1' }, source);
  t.equal(look.get('ticket', 'a'), undefined, 'read and absent: undefined');
  t.equal(look.account('liwei'), undefined);
  t.doesNotThrow(() => look.requireMedia(['photo-1'], 'image'));
  t.throws(() => look.requireMedia(['photo-1'], 'pdf'), /photo-1/, 'loaded media of the wrong kind is the command\'s error, not a load');
});

t.test('overLoaded loads each read a pass missed, once, and answers what a full read would', async (t) => {
  const rows = { 'ticket/a': { id: 'a' } as EntityBase, 'ticket/b': { id: 'b' } as EntityBase };
  const { source, asked } = countingSource(rows, { liwei: { role: 'grid_worker' } });
  const out = await overLoaded(source, T0, () => 'id', (look) => ({
    a: look.get('ticket', 'a'),
    missing: look.get('ticket', 'zzz'),
    all: look.list('ticket').length,
    worker: look.account('liwei')?.role,
    nobody: look.account('nobody'),
  }));
  t.same(out, { a: { id: 'a' }, missing: undefined, all: 2, worker: 'grid_worker', nobody: undefined });
  t.same(asked, ['entity ticket/a', 'entity ticket/zzz', 'list ticket', 'account liwei', 'account nobody'], 'each read loaded once, in the order asked');
  // A list, then each listed row's resident: loaded a level at a time (three passes), not a read at a time.
  const many: Record<string, EntityBase> = {};
  for (let i = 0; i < 30; i++) {
    many[`help_request/h${i}`] = { id: `h${i}`, residentId: `r${i}` } as unknown as EntityBase;
    many[`resident/r${i}`] = { id: `r${i}` } as EntityBase;
  }
  const deep = countingSource(many, {});
  let passes = 0;
  const residents = await overLoaded(deep.source, T0, () => 'id', (look) => {
    passes++;
    return look.list<EntityBase & { residentId: string }>('help_request').map((h) => look.get('resident', h.residentId)?.id);
  });
  t.equal(residents.length, 30);
  t.ok(residents.every((r) => r !== undefined), 'every resident found');
  t.equal(passes, 3, 'three passes: the list, the residents, the answer');
  t.equal(deep.asked.length, 31, 'the list and each resident read once');
  // A pass that missed a read and failed for it (NOT_FOUND on a row not read yet) is not the answer.
  const late = await overLoaded(countingSource(rows, {}).source, T0, () => 'id', (look) => {
    if (!look.get('ticket', 'a')) throw fail('NOT_FOUND', 'no ticket a');
    return 'found';
  });
  t.equal(late, 'found');
  // A read that never settles (a new key each pass) is stopped, not looped over.
  let n = 0;
  await t.rejects(overLoaded(source, T0, () => 'id', (look) => look.get('ticket', `k${n++}`) ?? look.get('ticket', `k${n++}`)), NotLoaded);
});

for (const backend of storeBackends(t)) {
  t.test(`${backend.name}: the ticket commands run and commit through the phone's village`, async (t) => {
    let now = T0;
    const opts: CloudStoreOptions = { models: governanceModels, now: () => now, cipher: new FieldCipher(randomBytes(32)) };
    const store = await backend.open(t, opts);
    if (!store) return;
    const v = await store.createVillage('东村');
    const user = (username: string, role: 'cadre' | 'grid_worker' | 'villager') => ({ username, displayName: username, role, passwordHash: 'h', disabled: false, cameras: null });
    await store.accounts.putUsers(v.id, 'e1', { v: 1, version: 'a', at: 1, users: [user('wang', 'cadre'), user('liwei', 'grid_worker'), user('zhangsan', 'villager')] });
    let commits = 0;
    const ctx: PhoneContext = { store, log: pino({ level: 'silent' }), now: () => now, onCommit: () => commits++, fail, logins: new LoginLimiter({ now: () => now }) };
    const village = new Village(ctx, v.id);

    const id = await village.run(ticketCommands.create, { username: 'zhangsan', role: 'villager' }, { category: 'garbage', description: '桥头有垃圾', place: '东村桥头' });
    t.match(await store.entity<TicketState>(v.id, 'ticket', id), { status: 'submitted', reporter: 'zhangsan', category: 'garbage' }, 'created in the store');
    now += 1000;
    // assign reads the ticket and the assignee's synced account: both loaded before the command ran.
    await village.run(ticketCommands.assign, { username: 'wang', role: 'cadre' }, id, { assignee: 'liwei' });
    t.match(await store.entity<TicketState>(v.id, 'ticket', id), { status: 'assigned', assignee: 'liwei' });
    t.equal(commits, 2, 'sync told of each commit');
    await t.rejects(village.run(ticketCommands.assign, { username: 'wang', role: 'cadre' }, id, { assignee: 'nobody' }), { code: 'INVALID_INPUT' }, 'an account that does not exist is the command\'s refusal');
    await t.rejects(village.run(ticketCommands.create, { username: 'zhangsan', role: 'villager' }, { category: 'garbage', description: 'x', place: '东村桥头', photos: ['01JD0000000000000000000001'] }), { code: 'INVALID_INPUT' }, 'a photo never uploaded');
    await t.rejects(village.run(ticketCommands.start, { username: 'liwei', role: 'grid_worker' }, 'no-such-ticket', {}), { code: 'NOT_FOUND' });
    t.equal(commits, 2, 'nothing committed by a refused command');
    t.same((await village.read(ticketCategories)).map((c) => c.id), Object.keys(DEFAULT_TICKET_CATEGORIES).sort(), 'a shared read over loaded state: every default category');
    t.equal(await store.opCount(v.id), 2);
  });
}
