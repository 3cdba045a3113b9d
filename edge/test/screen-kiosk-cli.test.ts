import t from 'tap';
import { openDatabase } from '../src/db/database.ts';
import { Credentials } from '../src/api/auth.ts';
import { systemClock } from '../src/clock.ts';
import { Layout } from '../src/storage/layout.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';

t.test('cunbox kiosk create | list | token | revoke: a screen token shown once, audited, revocable', async (t) => {
  const dir = tmpDir(t);
  const g = ['--data-dir', dir];
  const made = await cli([...g, 'kiosk', 'create', 'office-tv', '--display-name', '村委会大屏', '--days', '365', '--json']);
  t.equal(made.code, 0, made.err);
  const out = JSON.parse(made.out) as { kiosk: { id: number; username: string }; token: string; screenPath: string };
  t.match(out, { kiosk: { username: 'office-tv', displayName: '村委会大屏', disabled: false }, token: /^cbx_/, screenPath: /^\/screen#token=cbx_/ });
  const human = await cli([...g, 'kiosk', 'create', 'hall-tv'], { LANG: 'zh_CN.UTF-8' });
  t.equal(human.code, 0, human.err);
  t.match(human.out, /已添加大屏/);
  t.match(human.out, /令牌（只显示一次）: cbx_/);

  const list = await cli([...g, 'kiosk', 'list']);
  t.equal(list.code, 0);
  t.match(list.out, /office-tv/);
  t.notOk(list.out.includes(out.token), 'the list never shows a secret');
  t.notOk((await cli([...g, 'kiosk', 'list', '--json'])).out.includes(out.token));

  const db = openDatabase(new Layout(dir).database);
  t.teardown(() => db.close());
  const creds = new Credentials({ db, clock: systemClock });
  t.match(creds.byToken(out.token), { username: 'office-tv', role: 'kiosk' });
  const second = await cli([...g, 'kiosk', 'token', 'office-tv', '--json']);
  t.equal(second.code, 0, second.err);
  const token2 = JSON.parse(second.out).token as string;
  t.ok(creds.byToken(token2), 'a second token works too');

  t.match(await cli([...g, 'kiosk', 'revoke', 'office-tv']), { code: 0, out: /screen revoked: office-tv \(2 tokens\)/ });
  t.equal(creds.byToken(out.token), undefined, 'revoked');
  t.equal(creds.byToken(token2), undefined);
  t.match(await cli([...g, 'kiosk', 'revoke', 'nobody']), { code: 66 });
  t.match(await cli([...g, 'kiosk', 'create', 'bad', '--days', 'x']), { code: 64 });
  t.match(await cli([...g, 'kiosk', 'create', 'office-tv']), { code: 65 }, 'the name is taken');

  const actions = db.prepare("SELECT action FROM audit_log WHERE action LIKE 'kiosk.%' ORDER BY id").all().map((r) => (r as { action: string }).action);
  t.same(actions, ['kiosk.create', 'kiosk.create', 'kiosk.token', 'kiosk.revoke']);
  const rows = JSON.stringify(db.prepare('SELECT * FROM audit_log').all());
  t.notOk(rows.includes(out.token) || rows.includes(token2), 'no secret in the audit log');
});
