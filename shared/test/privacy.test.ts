import t from 'tap';
import { randomBytes } from 'node:crypto';
import { FieldCipher, isMaskedId, minimiseOpForCloud, minimiseStateForCloud, residentModel, type Op, type ResidentState } from '../src/index.ts';

const op = (entityKind: string, type: string, payload: Record<string, unknown>): Op => ({ id: '0123456789abcdef-1', origin: '0123456789abcdef', seq: 1, hlc: '2026-11-30T00:00:00.000Z-0000-0123456789abcdef', actor: 'zhang', entityKind, entityId: 'r1', type, payload });

t.test('sensitive fields round-trip; each sealing differs; a wrong key is a clear error', async (t) => {
  const cipher = new FieldCipher(randomBytes(32));
  const payload = { fields: { name: '张三', idNumber: '110101199003071234', phone: '13812345678', dibao: true, disabled: false, notes: null } };
  const sealed = cipher.sealPayload('resident', payload);
  const f = sealed.fields as Record<string, unknown>;
  t.equal(f.name, '张三', 'names stay plain (lists and search use them)');
  for (const k of ['idNumber', 'phone', 'dibao', 'disabled']) t.match(f[k], /^enc1:/, `${k} sealed`);
  t.equal(f.notes, null, 'null stays null');
  t.notOk(JSON.stringify(sealed).includes('110101199003071234'));
  t.same(cipher.openPayload('resident', sealed), payload);
  t.same(payload.fields.idNumber, '110101199003071234', 'the input is not changed');
  t.not(cipher.seal('x'), cipher.seal('x'), 'a fresh IV each time');
  const once = cipher.seal('x');
  t.equal(cipher.seal(once), once, 'sealing a sealed value does not wrap it again');
  t.throws(() => new FieldCipher(randomBytes(32)).open(f.idNumber), /cannot be read with this key/);
  t.equal(cipher.open('plain legacy value'), 'plain legacy value', 'rows from before encryption stay readable');
  t.same(cipher.sealPayload('ticket', { description: 'x' }), { description: 'x' }, 'other kinds untouched');

  const state = residentModel.apply(residentModel.init('r1'), op('resident', 'resident.created', payload)) as ResidentState;
  const sealedState = cipher.sealState(state);
  t.match(sealedState, { name: '张三', idNumber: /^enc1:/, phone: /^enc1:/, dibao: /^enc1:/ });
  t.same(cipher.openState(sealedState), state);
});

t.test('what the cloud gets: ID numbers masked, nothing else changed', async (t) => {
  const created = op('resident', 'resident.created', { fields: { name: '张三', idNumber: '110101199003071234', phone: '13812345678' } });
  const m = minimiseOpForCloud(created);
  t.same(m.payload, { fields: { name: '张三', idNumber: '110101********1234', phone: '13812345678' } });
  t.equal((created.payload.fields as Record<string, unknown>).idNumber, '110101199003071234', 'the edge keeps its op as it was');
  t.same(minimiseOpForCloud(m), m, 'idempotent');
  t.same(minimiseOpForCloud(op('certificate', 'certificate.created', { idNumber: '110101199003071234', purpose: '就业' })).payload, { idNumber: '110101********1234', purpose: '就业' });
  const ticket = op('ticket', 'ticket.created', { description: '110101199003071234' });
  t.equal(minimiseOpForCloud(ticket), ticket, 'other kinds pass as they are');
  const state = residentModel.apply(residentModel.init('r1'), created) as ResidentState;
  t.same(minimiseStateForCloud(state), residentModel.apply(residentModel.init('r1'), m), 'masking commutes with the fold');
  t.ok(isMaskedId('110101********1234'));
  t.notOk(isMaskedId('110101199003071234'));
  t.notOk(isMaskedId(null));
});
