import t from 'tap';
import fc from 'fast-check';
import { cleanText, nonFinitePath, normalizeUsername, passwordProblems, usernameKey } from '../src/index.ts';

const REFUSED = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

t.test('cleanText: what is refused, what is kept, and that its output is stable', async (t) => {
  for (const bad of ['a\u0000b', 'a\u001bb', 'a\rb', 'a\u0085b', 'x\u202Ey', 'x\u2066y', 'x\ud800', '\udc00x', '\u200b', ' \u3000\t\n', '\ufeff\u2060', '\u3164']) {
    t.equal(cleanText(bad).ok, false, JSON.stringify(bad));
  }
  t.same(cleanText(''), { ok: true, value: '' }, 'empty passes (length is the schema\'s rule)');
  t.same(cleanText('e\u0301\r\n\t好 👍🏽'), { ok: true, value: '\u00e9\n\t好 👍🏽' });
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      const r = cleanText(s);
      if (!r.ok) return true;
      return !REFUSED.test(r.value) && r.value === r.value.normalize('NFC') && JSON.stringify(cleanText(r.value)) === JSON.stringify(r);
    }),
  );
});

t.test('nonFinitePath finds Infinity and NaN wherever they are', async (t) => {
  t.equal(nonFinitePath({ a: 1, b: [1, { c: 2 }], d: 'Infinity' }), null);
  t.equal(nonFinitePath({ a: 1, b: [1, { c: Infinity }] }), '.b.1.c');
  t.equal(nonFinitePath(Object.assign(Object.create(null), { limit: -Infinity })), '.limit', 'querystring objects have no prototype');
  t.equal(nonFinitePath(NaN), '(value)');
  t.equal(nonFinitePath(Buffer.from([1, 2])), null);
});

t.test('user names: one form for every spelling', async (t) => {
  for (const s of [' admin', 'admin\t', '\u3000admin', 'ａｄｍｉｎ', 'ADMIN', '\u3000ＡＤＭＩＮ ']) t.equal(usernameKey(s), 'admin', JSON.stringify(s));
  t.equal(normalizeUsername(' 王网格 '), '王网格');
});

t.test('password policy', async (t) => {
  t.same(passwordProblems('Correct-Horse-9', 'zhang'), []);
  t.same(passwordProblems('村委会-Bridge-1', 'zhang'), []);
  t.match(passwordProblems('short1A', 'zhang'), [/at least 8 characters/]);
  t.match(passwordProblems('onlylowercase', 'zhang'), [/at least 3 of/]);
  t.match(passwordProblems('Zhang-2026-x', 'ZHANG'), [/user name/]);
  t.match(passwordProblems('Zhang-2026-x', 'ｚｈａｎｇ'), [/user name/], 'the name in any spelling');
  t.match(passwordProblems('P@ssw0rd', 'zhang'), [/too common/]);
  t.same(passwordProblems('🔑🔑🔑🔑🔑Aa1', 'zhang'), [], 'eight characters');
  t.match(passwordProblems('🔑🔑🔑🔑Aa1', 'zhang'), [/at least 8 characters/], 'seven characters (eleven UTF-16 units): length counts characters');
});
