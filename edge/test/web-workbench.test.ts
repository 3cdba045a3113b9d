/**
 * The rest of the secretary's workbench in real Chromium against a real API over a
 * real SQLite file: a help request asked for, assigned, worked, followed up and
 * closed; a resident listed masked and shown in full, and that read found on the
 * audit page; a points claim approved and the month's TOP10 updated; a 三会一课
 * session scheduled (in the box's zone) and signed in to; an API token created
 * (shown once, works) and revoked (stops working); an account created, demoted,
 * disabled and given a new password; the health page. No console errors, no
 * horizontal overflow at 1920×1080 and 1366×768, axe clean on every page.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { apiHarness, password } from './helpers/api.ts';
import { ARTIFACTS, checkPage as checkPageAt, signIn as signInAs } from './helpers/web-browser.ts';
import { launchChromium } from '@cunbox/test-support/chromium';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import { parseConfig } from '../src/config/load.ts';
import { runDoctor } from '../src/doctor/checks.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';

const webRoot = cachedWebBuild();
const ZHANG = { name: '张三', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', gridWorker: 'grid_worker', username: 'villager', elderly: true, notes: '独居' };

t.test('the workbench: help, residents, audit, party, accounts, tokens, health', async (t) => {
  // The system page runs the box's doctor: real checks on a data directory of its own.
  const config = parseConfig(`data_dir: ${tmpDir(t)}\n`);
  const h = await apiHarness(t, { options: { webRoot, timeZone: 'Asia/Shanghai' }, doctor: () => runDoctor({ config, env: process.env, ports: [] }), extraUsers: [['gone', 'grid_worker']] });
  h.users.update(h.users.getByUsername('grid_worker')!.id, { displayName: '李伟' });
  h.users.update(h.users.getByUsername('gone')!.id, { disabled: true });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium(t);
  const consoleErrors: string[] = [];
  const signIn = (username: string) => signInAs(browser, base, username, password(username), consoleErrors);
  const checkPage = (page: Page, name: string) => checkPageAt(t, page, name);
  const goto = async (page: Page, path: string, ready: string) => {
    await page.goto(`${base}${path}`);
    await page.locator(ready).first().waitFor();
  };

  const zhang = (await h.as.cadre.post('/api/residents', ZHANG)).body.resident;

  // — 帮扶: asked for by the villager (their linked profile), handled by the office and the grid worker —
  const villager = await signIn('villager');
  t.ok(await villager.page.locator('[data-test=menu-help]').isVisible(), 'a villager may ask for help');
  t.equal(await villager.page.locator('[data-test=menu-residents]').count(), 0, 'but sees no residents');
  await villager.page.locator('[data-test=menu-help]').click();
  await villager.page.locator('[data-test=ask-help]').click();
  await villager.page.locator('#ask-help-text').fill('腿脚不便，想请人代买药');
  await villager.page.locator('[data-test=ask-help-submit]').click();
  await villager.page.locator('[data-test=help-requests] .el-table__row').first().waitFor();
  const [asked] = (await h.as.cadre.get('/api/help-requests')).body.requests;
  t.match(asked, { residentName: '张三', description: '腿脚不便，想请人代买药', status: 'submitted' }, 'the request reached the edge, for the linked resident');

  const status = (page: Page) => page.locator('[data-test=help-detail] [data-test=detail-status]');
  const act = async (page: Page, action: string, text?: string) => {
    await page.locator(`[data-test=help-${action}]`).click();
    if (text !== undefined) await page.locator('#help-text').fill(text);
    await page.locator('[data-test=help-submit]').click();
  };
  const cadre = await signIn('cadre');
  await goto(cadre.page, '/help', '[data-test=help-requests] .el-table__row');
  await cadre.page.locator('[data-test=help-requests] .el-table__row').first().click();
  t.same(await cadre.page.locator('[data-test=help-detail] .actions button').allTextContents(), ['分派', '取消', '记录回访'], 'a new request: assign, cancel or follow up');
  // The assignee is picked from the accounts the edge says may handle help (a cadre too, not only an admin): no disabled one.
  await cadre.page.locator('[data-test=help-assign]').click();
  await checkPage(cadre.page, 'help-assignee-dialog');
  await cadre.page.locator('[data-test=help-assignee]').click();
  const offered = cadre.page.locator('.el-select-dropdown__item:visible');
  await offered.filter({ hasText: '李伟' }).waitFor();
  t.same(await offered.allTextContents(), ['admin (管理员)', 'cadre (村干部)', '李伟 (网格员)'], 'the help picker offers who handles help, by display name and role, nobody else');
  // The open list is looked at, not axe-checked: Element Plus gives every select's dropdown role=tooltip and no name.
  await cadre.page.screenshot({ path: join(ARTIFACTS, 'help-assignee-picker.png'), animations: 'disabled' });
  await offered.filter({ hasText: '李伟' }).click();
  await cadre.page.locator('[data-test=help-submit]').click();
  await t.resolves(status(cadre.page).filter({ hasText: '已分派' }).waitFor(), 'assigned');
  await checkPage(cadre.page, 'help');

  const grid = await signIn('grid_worker');
  await goto(grid.page, '/help', '[data-test=help-requests] .el-table__row');
  await grid.page.locator('[data-test=help-requests] .el-table__row').first().click();
  await act(grid.page, 'start', '');
  await status(grid.page).filter({ hasText: '帮扶中' }).waitFor();
  await act(grid.page, 'resolve', '已代购药品送到家');
  await status(grid.page).filter({ hasText: '已帮扶' }).waitFor();
  await act(grid.page, 'followups', '电话回访，老人满意');
  await grid.page.locator('[data-test=followup]').filter({ hasText: '电话回访，老人满意' }).waitFor();
  await cadre.page.reload();
  await cadre.page.locator('[data-test=help-requests] .el-table__row').first().click();
  await status(cadre.page).filter({ hasText: '已帮扶' }).waitFor();
  await act(cadre.page, 'close', '');
  await t.resolves(status(cadre.page).filter({ hasText: '已结案' }).waitFor(), 'closed by the office');
  const handled = (await h.as.cadre.get(`/api/help-requests/${asked.id}`)).body.request;
  t.match(handled, { status: 'closed', assignee: 'grid_worker', followUps: [{ text: '电话回访，老人满意', by: 'grid_worker' }] }, 'the edge holds every step');
  t.same(await cadre.page.locator('[data-test=help-detail] .actions button').allTextContents(), ['记录回访'], 'a closed request offers only a follow-up visit');

  // — residents: masked in the list; "显示" is a deliberate, audited read —
  const readsBefore = (await h.as.admin.get('/api/audit?action=resident.sensitive_read')).body.entries.length;
  await goto(cadre.page, '/residents', '[data-test=residents] .el-table__row');
  t.equal((await cadre.page.locator('[data-test=resident-id]').first().textContent())?.trim(), '110101********1234', 'the ID number is masked as the edge masks it');
  t.notMatch(await cadre.page.content(), /110101195003071234|13812345678/, 'no full number anywhere in the page');
  t.equal((await h.as.admin.get('/api/audit?action=resident.sensitive_read')).body.entries.length, readsBefore, 'listing is not a sensitive read');
  await checkPage(cadre.page, 'residents');
  await cadre.page.locator('[data-test=resident-show]').first().click();
  await t.resolves(cadre.page.locator('[data-test=full-id]').filter({ hasText: '110101195003071234' }).waitFor(), 'shown in full on request');
  await checkPage(cadre.page, 'resident-full');
  await cadre.page.keyboard.press('Escape');

  const admin = await signIn('admin');
  await goto(admin.page, '/audit', '[data-test=audit] .el-table__row');
  await admin.page.locator('[data-test=audit-action]').fill('resident.sensitive_read');
  await admin.page.locator('[data-test=audit-search]').click();
  const row = admin.page.locator('[data-test=audit] .el-table__row').filter({ hasText: `resident:${zhang.id}` }).filter({ hasText: 'cadre' });
  await t.resolves(row.first().waitFor(), 'the read is on the audit page, by whom and of whom');
  const [read] = (await h.as.admin.get('/api/audit?action=resident.sensitive_read&limit=1')).body.entries;
  const shownAt = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(read.at);
  t.match(await row.first().textContent(), shownAt, 'at the box\'s local time');
  // The read is among the unfiltered rows too, so the row above can be found before the search
  // answers: wait for the table to be replaced (bounded), then count.
  const auditRows = () => admin.page.locator('[data-test=audit] .el-table__row').count();
  await waitFor('the audit table filtered', async () => (await auditRows()) === readsBefore + 1, 20_000, 100).catch(() => undefined);
  t.equal(await auditRows(), readsBefore + 1, 'filtered to that action');
  await checkPage(admin.page, 'audit');

  // — party: a claim approved moves the month's TOP10; a session signed in to —
  const member = (await h.as.party_secretary.post('/api/party/members', { name: '李党员', branch: '第一支部', username: 'party_member', joinedOn: '2001-07-01', duesStandardFen: 2000, duesStartMonth: '2026-04' })).body.member;
  await h.as.party_secretary.post('/api/party/members', { name: '王党员', branch: '第一支部' });
  const pm = await signIn('party_member');
  await goto(pm.page, '/party', '[data-test=ranking]');
  await pm.page.locator('[data-test=rank-row]').filter({ hasText: '李党员' }).waitFor();
  t.same(await pm.page.locator('[data-test=rank-points]').allTextContents(), ['0', '0'], 'no points yet this month');
  await pm.page.locator('.el-tabs__item').filter({ hasText: '积分申报' }).click();
  await pm.page.locator('[data-test=new-claim]').click();
  await pm.page.locator('#claim-text').fill('参加村里组织的环境整治志愿服务');
  await pm.page.locator('#claim-date').fill('2026-05-10');
  await pm.page.locator('[data-test=claim-submit]').click();
  await pm.page.locator('[data-test=claim-status]').filter({ hasText: '待审核' }).waitFor();

  const sec = await signIn('party_secretary');
  await goto(sec.page, '/party', '[data-test=ranking]');
  await sec.page.locator('.el-tabs__item').filter({ hasText: '积分申报' }).click();
  await sec.page.locator('[data-test=claim-approve]').click();
  await sec.page.locator('[data-test=claim-status]').filter({ hasText: '已通过' }).waitFor();
  await checkPage(sec.page, 'party-claims');
  await sec.page.locator('.el-tabs__item').filter({ hasText: '积分排行' }).click();
  const top = sec.page.locator('[data-test=rank-row]').first();
  await t.resolves(top.filter({ hasText: '李党员' }).waitFor(), 'the approved member tops the month');
  const ranking = (await h.as.party_secretary.get('/api/party/ranking')).body.ranking;
  t.equal(ranking[0]?.memberId, member.id);
  t.equal((await top.locator('[data-test=rank-points]').textContent())?.trim(), String(ranking[0].points), 'the points the edge ranks by');
  t.ok(ranking[0].points > 0, 'the claim counted');
  await checkPage(sec.page, 'party-ranking');

  // Scheduled for 09:00 on the fake clock's day in the box's zone (01:00 UTC), whatever the browser's zone.
  await sec.page.locator('.el-tabs__item').filter({ hasText: '三会一课' }).click();
  await sec.page.locator('[data-test=new-session]').click();
  await sec.page.locator('#session-title').fill('5月支部党员大会');
  await sec.page.locator('#session-start').fill('2026-05-11T09:00');
  await sec.page.locator('[data-test=session-submit]').click();
  await sec.page.locator('[data-test=sessions] .el-table__row').first().waitFor();
  const [session] = (await h.as.party_secretary.get('/api/party/sessions')).body.sessions;
  t.equal(session.startAt, Date.UTC(2026, 4, 11, 1, 0), 'the start is read in the box\'s zone');
  t.equal(session.branch, '第一支部', 'the branch defaults to the members\'');
  await checkPage(sec.page, 'party-sessions');

  await pm.page.locator('.el-tabs__item').filter({ hasText: '三会一课' }).click();
  await pm.page.locator('[data-test=sessions]').getByRole('button', { name: '刷新' }).click().catch(() => undefined);
  await pm.page.reload();
  await pm.page.locator('.el-tabs__item').filter({ hasText: '三会一课' }).click();
  await pm.page.locator('[data-test=checkin-onsite]').click();
  await t.resolves(pm.page.locator('[data-test=signed-in]').waitFor(), 'signed in');
  t.match((await h.as.party_secretary.get(`/api/party/sessions/${session.id}`)).body.session.attendance, [{ id: member.id, mode: 'onsite', by: 'party_member' }]);

  await sec.page.locator('.el-tabs__item').filter({ hasText: '党费' }).click();
  await sec.page.locator('[data-test=pay-dues]').click();
  await sec.page.locator('[data-test=pay-submit]').click();
  await sec.page.locator('[data-test=owed]').filter({ hasText: /^2026-05$/ }).waitFor();
  t.match((await h.as.party_secretary.get(`/api/party/members/${member.id}`)).body.member, { paidMonths: ['2026-04'], payments: [{ months: ['2026-04'], amountFen: 2000 }] }, 'April\'s dues recorded at the standard');
  await checkPage(sec.page, 'party-dues');
  await sec.page.locator('.el-tabs__item').filter({ hasText: '党员' }).first().click();
  await checkPage(sec.page, 'party-members');

  // — accounts: created, demoted, disabled, new password —
  await goto(admin.page, '/users', '[data-test=users] .el-table__row');
  await admin.page.locator('[data-test=new-user]').click();
  await admin.page.locator('#user-name').fill('wangwu');
  await admin.page.locator('#user-password').fill('Village-Office-81');
  await admin.page.locator('[data-test=user-submit]').click();
  await admin.page.locator('[data-test=user-status-wangwu]').waitFor();
  const wangwu = () => h.users.list().find((u) => u.username === 'wangwu')!;
  t.match(wangwu(), { role: 'villager', disabled: false }, 'created');
  await admin.page.locator('[data-test=role-wangwu]').click();
  await admin.page.locator('.el-select-dropdown__item:visible').filter({ hasText: '网格员' }).click();
  await admin.page.waitForFunction(() => true);
  await t.resolves((async () => { for (let i = 0; i < 50 && wangwu().role !== 'grid_worker'; i++) await admin.page.waitForTimeout(100); })(), 'role set');
  t.equal(wangwu().role, 'grid_worker', 'the new role reached the edge');
  await admin.page.locator('[data-test=toggle-wangwu]').click();
  await admin.page.locator('[data-test=user-status-wangwu]').filter({ hasText: '已停用' }).waitFor();
  t.equal(wangwu().disabled, true, 'disabled');
  await admin.page.locator('[data-test=reset-wangwu]').click();
  await admin.page.locator('#reset-password').fill('Village-Office-82');
  await admin.page.locator('[data-test=reset-submit]').click();
  await admin.page.locator('.el-message--success').filter({ hasText: '密码已重置' }).waitFor();
  t.equal(await admin.page.locator('[data-test=toggle-admin]').isDisabled(), true, 'an admin cannot disable their own account here');
  await checkPage(admin.page, 'users');

  // — API tokens: the secret once, it works, revoked it does not —
  await goto(admin.page, '/tokens', '[data-test=token-create]');
  await admin.page.locator('#token-name').fill('夜间备份脚本');
  await admin.page.locator('[data-test=token-create]').click();
  const secret = (await admin.page.locator('[data-test=token-secret]').textContent())!.trim();
  await admin.page.locator('[data-test=tokens] .el-table__row').first().waitFor();
  const bearer = () => h.anon.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${secret}` } });
  t.equal((await bearer()).status, 200, 'the token shown works');
  await checkPage(admin.page, 'tokens');
  await admin.page.reload();
  await admin.page.locator('[data-test=tokens] .el-table__row').first().waitFor();
  t.equal(await admin.page.locator('[data-test=token-secret]').count(), 0, 'the secret is not shown again');
  t.notMatch(await admin.page.content(), secret, 'nor anywhere in the page');
  await admin.page.locator('[data-test=token-revoke]').click();
  await admin.page.locator('[data-test=token-status]').filter({ hasText: '已吊销' }).waitFor();
  t.equal((await bearer()).status, 401, 'revoked: refused');

  // — health, and the English texts —
  await goto(admin.page, '/system', '[data-test=health-status]');
  t.match(await admin.page.locator('[data-test=health-status]').textContent(), /正常/, 'no storage warnings');
  t.match(await admin.page.locator('[data-test=chain]').textContent(), /审计链完整/);
  await admin.page.locator('[data-test=doctor-ffmpeg]').waitFor({ timeout: 60_000 });
  await checkPage(admin.page, 'system');
  await admin.page.locator('[data-test=lang]').click();
  await goto(admin.page, '/audit', '[data-test=audit] .el-table__row');
  t.match(await admin.page.locator('nav').textContent(), /Help requests.*Special groups.*Party.*Accounts.*Audit log.*System.*API tokens/, 'the new menus in English');
  await checkPage(admin.page, 'audit-en');
  await goto(admin.page, '/party', '[data-test=ranking]');
  await checkPage(admin.page, 'party-en');
  await admin.page.locator('[data-test=lang]').click();

  t.same(consoleErrors, [], 'no console errors');
  for (const c of [villager, cadre, grid, admin, pm, sec]) await c.context.close();
});
