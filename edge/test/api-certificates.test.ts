import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiHarness, type Client } from './helpers/api.ts';
import { HAS_PDFTOTEXT } from './helpers/pdf-text.ts';
import { DEFAULT_CJK_FONT } from '../src/governance/pdf.ts';
import type { VillageIdentity } from '../src/governance/village.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { createLogger, type Logger } from '../src/log.ts';

const ZHANG = { name: '张三', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', username: 'villager' };
/** The font scripts/setup installs; CUNBOX_TEST_CJK_FONT points elsewhere when testing before setup. */
const CJK_FONT = process.env.CUNBOX_TEST_CJK_FONT ?? DEFAULT_CJK_FONT;
const KUANGCUN: VillageIdentity = { name: '匡村', issuer: '匡村村民委员会', verifyBaseUrl: 'https://kuangcun.example.cn', address: '匡村一组1号', phone: '0532-8888 6666' };
/** The public check as an API client asks for it. */
const checkJson = (c: Client, code: string) => c.inject({ method: 'GET', url: `/api/public/certificates/${code}`, headers: { accept: 'application/json' } });

async function approved(t: Test, fontPath: string, village: VillageIdentity | null = KUANGCUN, log?: Logger) {
  const h = await apiHarness(t, { cjkFontPath: fontPath, options: { village }, log });
  await h.as.cadre.post('/api/residents', ZHANG);
  const c = (await h.as.villager.post('/api/certificates', { type: 'work_away', purpose: '外出务工', details: '现在青岛市从事建筑工作。' })).body.certificate;
  await h.as.cadre.post(`/api/certificates/${c.id}/approve`);
  return { h, id: c.id as string };
}

t.test('request → review → approve; verification code checked publicly; revoke', async (t) => {
  const h = await apiHarness(t, { options: { village: KUANGCUN } });
  await h.as.cadre.post('/api/residents', ZHANG);
  const r = await h.as.villager.post('/api/certificates', { type: 'residence', purpose: '子女入学' });
  t.equal(r.status, 201);
  const cert = r.body.certificate;
  t.match(cert, { status: 'requested', type: 'residence', typeName: '居住证明', applicantName: '张三', address: '一组12号', idNumber: '110101********1234', createdBy: 'villager' }, 'the applicant sees the ID number masked');
  t.equal((await h.as.villager.post(`/api/certificates/${cert.id}/approve`)).status, 403);
  t.equal((await h.as.grid_worker.post(`/api/certificates/${cert.id}/approve`)).status, 403);
  t.equal((await h.as.party_member.get(`/api/certificates/${cert.id}`)).status, 404, 'others do not see it');

  t.match(await h.as.cadre.post(`/api/certificates/${cert.id}/start-review`), { body: { certificate: { status: 'under_review', reviewer: 'cadre', idNumber: ZHANG.idNumber } } });
  const ok = await h.as.cadre.post(`/api/certificates/${cert.id}/approve`, { note: '情况属实' });
  t.match(ok.body.certificate, { status: 'approved', verificationCode: /^[0-9A-HJKMNP-TV-Z]{12}$/, issuedAt: h.clock.now() });
  const code = ok.body.certificate.verificationCode as string;
  t.ok((await h.as.admin.get('/api/audit?action=certificate.sensitive_read')).body.entries.length >= 2, 'reviewer reads with the full ID number are audited');

  const v = await checkJson(h.anon, code);
  t.same(v.body, { verification: { valid: true, status: 'approved', type: '居住证明', holder: '张*', issuedAt: h.clock.now(), revokedAt: null, issuer: '匡村村民委员会' } });
  t.notMatch(JSON.stringify(v.body), /110101|一组/, 'the public check shows no ID number or address');
  const dashed = `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`.toLowerCase();
  t.equal((await checkJson(h.anon, dashed)).body.verification.valid, true, 'as printed, any case');
  t.match(await checkJson(h.anon, 'ABCDEFGHJKMN'), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.match(await checkJson(h.anon, "' OR 1=1 --"), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });

  t.match(await h.as.cadre.post(`/api/certificates/${cert.id}/revoke`, { reason: '已迁出' }), { body: { certificate: { status: 'revoked' } } });
  t.match((await checkJson(h.anon, code)).body.verification, { valid: false, status: 'revoked', revokedAt: h.clock.now() });
});

t.test('the public check is a zh-CN page for browsers: verdict, masked holder, the local date, the issuer; never the ID number', async (t) => {
  const h = await apiHarness(t, { options: { village: KUANGCUN } });
  await h.as.cadre.post('/api/residents', ZHANG);
  const cert = (await h.as.villager.post('/api/certificates', { type: 'residence', purpose: '子女入学' })).body.certificate;
  // 07:00 on 12 May in the village is still 11 May in UTC: the page shows the village's date.
  await h.advance(22 * 3600_000);
  t.equal(new Date(h.clock.now()).toISOString().slice(0, 10), '2026-05-11');
  const code = (await h.as.cadre.post(`/api/certificates/${cert.id}/approve`)).body.certificate.verificationCode as string;
  const browser = (path: string) => h.anon.inject({ method: 'GET', url: path, headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });

  const page = await browser(`/api/public/certificates/${code}`);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html; charset=utf-8/);
  t.match(page.headers.vary, /Accept/);
  const html = page.raw.toString('utf8');
  t.match(html, /<html lang="zh-CN">/);
  t.match(html, /有效：此证明由匡村村民委员会开具/);
  t.match(html, /居住证明/);
  t.match(html, /张\*/);
  t.match(html, /2026年5月12日/, 'the issue date in the village\'s time');
  t.notMatch(html, /2026年5月11日/);
  t.notMatch(html, /110101|1234|一组12号|张三/, 'no ID number, address or full name');
  t.notMatch(html, /<script/i);
  t.match((await h.anon.get(`/api/public/certificates/${code}`)).raw.toString(), /有效/, 'a request that names no type gets the page');

  const unknown = await browser('/api/public/certificates/ABCDEFGHJKMN');
  t.equal(unknown.status, 404);
  t.match(unknown.raw.toString(), /未查到/);
  t.match(unknown.headers['content-type'], /text\/html/);

  await h.as.cadre.post(`/api/certificates/${cert.id}/revoke`, { reason: '已迁出' });
  const revoked = (await browser(`/api/public/certificates/${code}`)).raw.toString();
  t.match(revoked, /已作废：此证明已于2026年5月12日作废/);
  t.notMatch(revoked, /有效：/);
  t.match((await checkJson(h.anon, code)).body, { verification: { valid: false, status: 'revoked' } }, 'JSON when asked for');
});

t.test('reject, resubmit, and applicants without a profile', async (t) => {
  const h = await apiHarness(t);
  const c = (await h.as.party_member.post('/api/certificates', { type: 'family_relation', applicantName: '王芳', idNumber: '37020219800101567X', purpose: '办理户口', details: '王芳与王建国系父女关系' })).body.certificate;
  t.match(c, { applicantName: '王芳', idNumber: '370202********567X', residentId: null });
  t.match(await h.as.party_member.post('/api/certificates', { type: 'residence', purpose: 'x' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } }, 'no profile and no name');
  t.match(await h.as.cadre.post(`/api/certificates/${c.id}/reject`, { reason: '请补充户口簿' }), { body: { certificate: { status: 'rejected', statusNote: '请补充户口簿' } } });
  t.equal((await h.as.cadre.post(`/api/certificates/${c.id}/resubmit`, { details: 'x' })).status, 403, 'only the applicant resubmits');
  t.match(await h.as.party_member.post(`/api/certificates/${c.id}/resubmit`, { details: '王芳与王建国系父女关系（附户口簿）' }), { body: { certificate: { status: 'requested', details: '王芳与王建国系父女关系（附户口簿）' } } });
  t.same((await h.as.party_member.get('/api/certificates')).body.certificates.map((x: { id: string }) => x.id), [c.id]);
  t.same((await h.as.villager.get('/api/certificates')).body.certificates, []);
  t.match(await h.as.party_member.get(`/api/certificates/${c.id}/pdf`), { status: 409, body: { error: { code: 'INVALID_TRANSITION' } } }, 'not approved: no PDF');

  t.equal((await h.as.grid_worker.put('/api/certificate-types/marriage', { name: '婚姻状况证明', template: '兹证明{name}未婚。' })).status, 403);
  t.match(await h.as.cadre.put('/api/certificate-types/marriage', { name: '婚姻状况证明', template: '兹证明{name}（身份证号：{idNumber}）未婚。用途：{purpose}' }), { body: { type: { id: 'marriage', builtin: false } } });
  t.match(await h.as.cadre.put('/api/certificate-types/other', { name: 'x' }), { status: 400 }, 'a new type needs a template');
});

t.test('PDF without a village in the config: a clear 503, logged as a warning without a stack', async (t) => {
  const lines: string[] = [];
  const { h, id } = await approved(t, CJK_FONT, null, createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } as never }));
  const r = await h.as.villager.get(`/api/certificates/${id}/pdf`);
  t.match(r, { status: 503, body: { error: { code: 'UNAVAILABLE', message: /village\.name and village\.verify_base_url/ } } });
  // Unavailable is a state of the box (no config, a camera without a picture yet), not a fault
  // of the server: a technician reading the log should not find an error with a stack per request.
  const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; code?: string; err?: unknown }).filter((l) => l.msg.startsWith('request'));
  t.match(logged, [{ level: 40, code: 'UNAVAILABLE', msg: 'request answered: unavailable' }]);
  t.notOk(logged.some((l) => l.err), 'no stack');
});

t.test('PDF without the CJK font: a clear 503', async (t) => {
  const { h, id } = await approved(t, '/nonexistent/wqy-microhei.ttc');
  const r = await h.as.villager.get(`/api/certificates/${id}/pdf`);
  t.match(r, { status: 503, body: { error: { code: 'UNAVAILABLE', message: /fonts-wqy-microhei/ } } });
});

t.test('PDF with the CJK font', { skip: existsSync(CJK_FONT) ? false : `no CJK font at ${CJK_FONT} (scripts/setup installs fonts-wqy-microhei)` }, async (t) => {
  const { h, id } = await approved(t, CJK_FONT);
  const code = (await h.as.villager.get(`/api/certificates/${id}`)).body.certificate.verificationCode as string;
  const r = await h.as.villager.get(`/api/certificates/${id}/pdf`);
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/pdf');
  t.equal(r.raw.subarray(0, 5).toString(), '%PDF-');
  t.match(r.raw.subarray(-8).toString(), /%%EOF/);
  t.ok(r.raw.includes(Buffer.from(code)), 'the verification code is in the document');
  t.ok(r.raw.includes(Buffer.from('WenQuanYiMicroHei')), 'the CJK font is embedded');
  const again = await h.as.cadre.get(`/api/certificates/${id}/pdf`);
  t.ok(again.raw.equals(r.raw), 'the same certificate renders the same document');
  t.equal((await h.as.party_member.get(`/api/certificates/${id}/pdf`)).status, 404);
  t.match((await h.as.admin.get('/api/audit?action=certificate.printed')).body.entries, [{ actor: 'cadre' }, { actor: 'villager' }]);
});


t.test('PDF: the village as issuer, a place for the seal, the configured verification address', { skip: !existsSync(CJK_FONT) ? `no CJK font at ${CJK_FONT}` : !HAS_PDFTOTEXT ? 'no pdftotext (scripts/setup installs poppler-utils)' : false }, async (t) => {
  const { h, id } = await approved(t, CJK_FONT);
  const code = (await h.as.villager.get(`/api/certificates/${id}`)).body.certificate.verificationCode as string;
  const r = await h.as.villager.get(`/api/certificates/${id}/pdf`);
  t.equal(r.status, 200);
  const dir = tmpDir(t);
  const file = join(dir, 'certificate.pdf');
  writeFileSync(file, r.raw);
  const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  t.match(text, /外出务工证明/);
  t.match(text, /匡村村民委员会/, 'the issuer names the village');
  t.match(text, /盖章处/, 'the seal box is labelled');
  t.match(text, /2026年5月11日/);
  t.ok(text.includes(`https://kuangcun.example.cn/api/public/certificates/${code}`), 'the configured verification address with the code');
  t.match(text, /核验码：[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
  t.match(text, /匡村一组1号/);
  t.match(text, /0532-8888 6666/);
  t.notMatch(text, /127\.0\.0\.1|localhost/, 'no loopback address');
  const lines = text.split('\n');
  const sealLine = lines.findIndex((l) => l.includes('盖章处'));
  const issuerLine = lines.findIndex((l) => l.includes('匡村村民委员会'));
  const dateLine = lines.findIndex((l) => l.includes('2026年5月11日'));
  t.ok(sealLine < issuerLine && issuerLine < dateLine, 'seal box, then issuer, then date');
  t.ok(lines[sealLine]!.indexOf('盖章处') > 40, 'the seal box is on the right');
  if (process.env.CUNBOX_KEEP_TMP) execFileSync('pdftoppm', ['-png', '-r', '60', file, join(dir, 'page')]);
});
