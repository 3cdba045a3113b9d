/**
 * One password format for the edge and the cloud; hashes stored by either
 * earlier format still verify.
 */
import t from 'tap';
import { DUMMY_PASSWORD_HASH, PASSWORD_COST, SECRET_COST, hashPassword, hashPasswordSync, needsRehash, verifyPassword } from '../src/platform/password.ts';

/** Made by the edge's password hashing before the formats were one (an edge user's hash, as stored and synced). */
const EDGE_USER_HASH = 'scrypt$32768$8$1$IRj2bBAtke0gj5wiF2RtwA==$M3eILYXQPw0/piiyODeHFnhBQK61eid8I1CUy7riF2I=';
/** Made by the cloud's own edge-secret hashing of before (`scrypt$<salt hex>$<key hex>`, Node's default cost). */
const CLOUD_EDGE_SECRET_HASH = 'scrypt$1993855a94f51b0a604d84845d680a05$129ad442c7a8ff2e264591f07a8c124bfa7098c60270787fbb5eae2f24f21fcc';

t.test('hashes verify their password and nothing else, at either cost', async (t) => {
  const h = await hashPassword('村民-Password-1');
  t.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.ok(await verifyPassword('村民-Password-1', h));
  t.notOk(await verifyPassword('村民-Password-2', h));
  const s = hashPasswordSync('edge-secret', SECRET_COST);
  t.match(s, /^scrypt\$16384\$8\$1\$/, 'the cost is written into the hash');
  t.ok(await verifyPassword('edge-secret', s));
  t.notOk(await verifyPassword('edge-secret', DUMMY_PASSWORD_HASH));
});

t.test("both earlier formats still verify; only the cloud's old one asks to be written again", async (t) => {
  t.ok(await verifyPassword('村民-Password-1', EDGE_USER_HASH), "an edge user's stored hash");
  t.notOk(await verifyPassword('wrong', EDGE_USER_HASH));
  t.notOk(needsRehash(EDGE_USER_HASH), 'already the current format at the current cost');
  t.ok(await verifyPassword('edge-secret-Abc123', CLOUD_EDGE_SECRET_HASH), "the cloud's old edge-secret hash");
  t.notOk(await verifyPassword('edge-secret-Abc124', CLOUD_EDGE_SECRET_HASH));
  t.ok(needsRehash(CLOUD_EDGE_SECRET_HASH, SECRET_COST), 'the old format is to be written again');
  t.notOk(needsRehash(hashPasswordSync('x', SECRET_COST), SECRET_COST));
  t.ok(needsRehash(hashPasswordSync('x', SECRET_COST), PASSWORD_COST), 'a cost below the one asked for');
});

t.test('anything else never matches and never throws', async (t) => {
  for (const stored of ['', 'plain', 'scrypt$', 'scrypt$zz$zz', 'scrypt$abc$abcd1', 'bcrypt$2b$10$abc', 'scrypt$3000$8$1$AAAA$AAAA', 'scrypt$2097152$8$1$AAAA$AAAA', 'scrypt$16384$8$1$$', 'scrypt$16384$999$1$AAAA$AAAA', 'scrypt$16384$8$1$AAAA$']) {
    t.equal(await verifyPassword('x', stored), false, JSON.stringify(stored));
    t.equal(needsRehash(stored), false);
  }
});
