import t from 'tap';
import PDFDocument from 'pdfkit';
import { apiHarness, upload } from './helpers/api.ts';

function smallPdf(): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument();
    const chunks: Buffer[] = [];
    doc.on('data', (b: Buffer) => chunks.push(b));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.text('2026 budget');
    doc.end();
  });
}

t.test('三务公开: draft → review by someone else → published; tabs by role', async (t) => {
  const h = await apiHarness(t, { extraUsers: [['secretary2', 'party_secretary']] });
  const pdf = await upload(h.as.party_secretary, await smallPdf(), 'budget.pdf', 'application/pdf');
  t.match(pdf, { status: 201, body: { media: { kind: 'pdf', mime: 'application/pdf' } } });
  const draft = await h.as.party_secretary.post('/api/announcements', { category: 'party', title: '2026年第二季度党费收缴情况', body: '本季度应缴党费…', attachments: [pdf.body.media.id] });
  t.match(draft, { status: 201, body: { announcement: { status: 'draft', category: 'party', createdBy: 'party_secretary', attachments: [pdf.body.media.id] } } });
  const id = draft.body.announcement.id;
  t.match(await h.as.cadre.post('/api/announcements', { category: 'party', title: 'x', body: 'y' }), { status: 403, body: { error: { code: 'FORBIDDEN' } } }, 'cadres do not write 党务');
  t.equal((await h.as.party_secretary.post('/api/announcements', { category: 'finance', title: 'x', body: 'y' })).status, 403, 'secretaries do not write 财务');
  t.equal((await h.as.villager.post('/api/announcements', { category: 'village', title: 'x', body: 'y' })).status, 403);

  t.same((await h.as.villager.get('/api/announcements')).body.announcements, [], 'drafts are not public');
  t.equal((await h.as.villager.get(`/api/announcements/${id}`)).status, 404);
  const secretary2 = await h.login('secretary2');
  t.match(await secretary2.post(`/api/announcements/${id}/publish`), { status: 409, body: { error: { code: 'INVALID_TRANSITION' } } }, 'a draft is not published directly');
  t.match(await h.as.party_secretary.post(`/api/announcements/${id}/submit`), { body: { announcement: { status: 'pending_review' } } });
  t.match(await h.as.party_secretary.post(`/api/announcements/${id}/publish`), { status: 403, body: { error: { code: 'FORBIDDEN', message: /other than its author/ } } });
  t.equal((await h.as.cadre.post(`/api/announcements/${id}/publish`)).status, 403, 'a cadre does not review 党务');
  t.match(await secretary2.post(`/api/announcements/${id}/publish`, { note: '同意公开' }), { body: { announcement: { status: 'published', reviewer: 'secretary2', publishedAt: h.clock.now() } } });
  t.same((await h.as.viewer.get('/api/announcements?category=party')).body.announcements.map((a: { id: string }) => a.id), [id]);
  t.equal((await h.as.villager.get(`/api/media/${pdf.body.media.id}`)).headers['content-type'], 'application/pdf');
  t.match(await h.as.party_secretary.patch(`/api/announcements/${id}`, { title: '改' }), { status: 409 }, 'published text is not edited in place');
  t.match(await h.as.party_secretary.post(`/api/announcements/${id}/withdraw`, { reason: '数据有误' }), { body: { announcement: { status: 'withdrawn' } } });
  t.same((await h.as.villager.get('/api/announcements')).body.announcements, []);
});

t.test('rejected announcements go back to the author and can be resubmitted', async (t) => {
  const h = await apiHarness(t);
  const a = (await h.as.cadre.post('/api/announcements', { category: 'finance', title: '5月财务收支', body: '收入…支出…' })).body.announcement;
  await h.as.cadre.post(`/api/announcements/${a.id}/submit`);
  t.match(await h.as.admin.post(`/api/announcements/${a.id}/reject`, { reason: '缺少明细' }), { body: { announcement: { status: 'rejected', statusNote: '缺少明细' } } });
  t.match(await h.as.cadre.patch(`/api/announcements/${a.id}`, { body: '收入…支出…（附明细）' }), { body: { announcement: { status: 'rejected', body: '收入…支出…（附明细）' } } });
  t.match(await h.as.cadre.post(`/api/announcements/${a.id}/submit`), { body: { announcement: { status: 'pending_review' } } });
  t.match(await h.as.admin.post(`/api/announcements/${a.id}/publish`), { body: { announcement: { status: 'published' } } });
  const history = (await h.as.cadre.get(`/api/announcements/${a.id}/history`)).body.history;
  t.same(history.map((o: { type: string; payload: { to?: string } }) => o.payload.to ?? o.type), ['announcement.created', 'pending_review', 'rejected', 'announcement.updated', 'draft', 'pending_review', 'published']);
  t.equal((await h.as.villager.get(`/api/announcements/${a.id}/history`)).status, 403);
  t.match(await h.as.cadre.post('/api/announcements', { category: 'gossip', title: 'x', body: 'y' }), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  t.match(await h.as.cadre.post('/api/announcements', { category: 'village', title: 'x', body: 'y', attachments: ['01HZZZZZZZZZZZZZZZZZZZZZZZ'] }), { status: 400 });
});
