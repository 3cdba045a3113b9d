import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { apiHarness } from './helpers/api.ts';
import { DEFAULT_CJK_FONT } from '../src/governance/pdf.ts';

const ZHANG = { name: '张三', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', username: 'villager' };
/** The font scripts/setup installs; CUNBOX_TEST_CJK_FONT points elsewhere when testing before setup. */
const CJK_FONT = process.env.CUNBOX_TEST_CJK_FONT ?? DEFAULT_CJK_FONT;

async function approved(t: Test, fontPath: string) {
  const h = await apiHarness(t, { cjkFontPath: fontPath });
  await h.as.cadre.post('/api/residents', ZHANG);
  const c = (await h.as.villager.post('/api/certificates', { type: 'work_away', purpose: '外出务工', details: '现在青岛市从事建筑工作。' })).body.certificate;
  await h.as.cadre.post(`/api/certificates/${c.id}/approve`);
  return { h, id: c.id as string };
}

t.test('request → review → approve; verification code checked publicly; revoke', async (t) => {
  const h = await apiHarness(t);
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

  const v = await h.anon.get(`/api/public/certificates/${code}`);
  t.same(v.body, { verification: { valid: true, status: 'approved', type: '居住证明', holder: '张*', issuedAt: h.clock.now(), revokedAt: null } });
  t.notMatch(JSON.stringify(v.body), /110101|一组/, 'the public check shows no ID number or address');
  const dashed = `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`.toLowerCase();
  t.equal((await h.anon.get(`/api/public/certificates/${dashed}`)).body.verification.valid, true, 'as printed, any case');
  t.match(await h.anon.get('/api/public/certificates/ABCDEFGHJKMN'), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.match(await h.anon.get("/api/public/certificates/' OR 1=1 --"), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });

  t.match(await h.as.cadre.post(`/api/certificates/${cert.id}/revoke`, { reason: '已迁出' }), { body: { certificate: { status: 'revoked' } } });
  t.match((await h.anon.get(`/api/public/certificates/${code}`)).body.verification, { valid: false, status: 'revoked', revokedAt: h.clock.now() });
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
