import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FieldCipher, governanceModels, loadOrCreateKey, type ResidentState } from '@cunbox/shared';
import { openDatabase } from '../src/db/database.ts';
import { OpStore } from '../src/governance/store.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { apiHarness } from './helpers/api.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const ID = '110101199003071234';
const PHONE = '13812345678';

/** Every byte SQLite has on disk for this database: the file and its WAL. */
const bytesOf = (dbFile: string): string => [dbFile, `${dbFile}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
const utf8InLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

t.test('a copied database file holds no ID number, phone number, special-group flag or 求助 text in clear', async (t) => {
  const h = await apiHarness(t);
  const made = await h.as.admin.post('/api/residents', { name: '张三', idNumber: ID, phone: PHONE, gridWorker: 'grid_worker', dibao: true, notes: '独居，需要每周探访' });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const rid = made.body.resident.id as string;
  await h.as.admin.patch(`/api/residents/${rid}`, { phone: '13900001111' });
  const help = await h.as.admin.post('/api/help-requests', { type: 'medical', residentId: rid, description: '透析后需要陪同回家' });
  t.equal(help.status, 201, JSON.stringify(help.body));

  const all = bytesOf(join(h.dir, 'cunbox.db'));
  for (const secret of [ID, PHONE, '13900001111', '独居，需要每周探访', '透析后需要陪同回家']) t.notOk(all.includes(utf8InLatin1(secret)), `${secret} is not in the database file in clear`);
  t.ok(all.includes(utf8InLatin1('张三')), 'the name is (lists and search need it)');

  // Those allowed still read it in full, through the same API.
  const shown = await h.as.admin.get(`/api/residents/${rid}`);
  t.match(shown.body.resident, { idNumber: ID, phone: '13900001111', dibao: true, notes: '独居，需要每周探访' });
  t.same(h.governance.store.verify(), [], 'every state is still the fold of its ops');
});

t.test('a database from before encryption is sealed at start and reads the same', async (t) => {
  const dir = tmpDir(t);
  const db = openDatabase(join(dir, 'cunbox.db'));
  t.teardown(() => db.close());
  const plain = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels });
  plain.commit('zhang', [{ entityKind: 'resident', entityId: 'r1', type: 'resident.created', payload: { fields: { name: '李四', idNumber: ID, phone: PHONE, elderly: true } } }]);
  t.ok(bytesOf(join(dir, 'cunbox.db')).includes(ID), 'written in clear by the old version');

  const store = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels, cipher: new FieldCipher(loadOrCreateKey(join(dir, 'keys', 'data.key'))) });
  t.equal(store.get<ResidentState>('resident', 'r1')?.idNumber, ID, 'plain rows are readable before sealing');
  t.equal(store.sealPlaintext(), 2, 'the op and the state');
  t.equal(store.sealPlaintext(), 0, 'once');
  t.throws(() => db.prepare("UPDATE gov_ops SET actor = 'x'").run(), /ops are immutable/, 'the immutability trigger is back');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('VACUUM');
  t.notOk(bytesOf(join(dir, 'cunbox.db')).includes(ID), 'no longer in clear');
  t.match(store.get<ResidentState>('resident', 'r1'), { idNumber: ID, phone: PHONE, elderly: true });
  t.same(store.verify(), []);
});
