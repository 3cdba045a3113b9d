/**
 * Approved certificates go up as PDFs for the requester's phone: the collector
 * renders each approved certificate once (real pdfkit, real SQLite), with the
 * ID number masked, and queues it for the media uploader; a certificate that
 * is not approved, or an edge without a village section, queues nothing.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CERTIFICATE_PDF_KIND } from '@cunbox/shared';
import { apiHarness } from './helpers/api.ts';
import { HAS_PDFTOTEXT, pdfText } from './helpers/pdf-text.ts';
import { DEFAULT_CJK_FONT } from '../src/governance/pdf.ts';
import type { VillageIdentity } from '../src/governance/village.ts';
import { CertificatePdfs } from '../src/sync/certificate-pdfs.ts';
import { MediaQueue } from '../src/sync/media-queue.ts';
import { createLogger } from '../src/log.ts';

const ZHANG = { name: '张三', idNumber: '110101195003071234', phone: '13812345678', address: '一组12号', username: 'villager' };
const CJK_FONT = process.env.CUNBOX_TEST_CJK_FONT ?? DEFAULT_CJK_FONT;
const KUANGCUN: VillageIdentity = { name: '匡村', issuer: '匡村村民委员会', verifyBaseUrl: 'https://kuangcun.example.cn', address: null, phone: null };

t.test('an approval queues exactly one PDF, ID number masked; other states and a box without a village queue none', { skip: !existsSync(CJK_FONT) ? `no CJK font at ${CJK_FONT}` : false }, async (t) => {
  const h = await apiHarness(t, { cjkFontPath: CJK_FONT, options: { village: KUANGCUN } });
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } as never });
  const queue = new MediaQueue({ db: h.db, clock: h.clock });
  const pdfs = (village: VillageIdentity | null) => new CertificatePdfs({ db: h.db, queue, certificates: h.governance.certificates, village, dataDir: h.dir, clock: h.clock, log });
  const rows = () => h.db.prepare('SELECT kind, ref, path, size, sha256, mime, state FROM sync_media ORDER BY id').all() as Array<{ kind: string; ref: string; path: string; size: number; sha256: string; mime: string; state: string }>;

  await h.as.cadre.post('/api/residents', ZHANG);
  const asked = (await h.as.villager.post('/api/certificates', { type: 'work_away', purpose: '外出务工', details: '现在青岛市从事建筑工作。' })).body.certificate;
  const other = (await h.as.villager.post('/api/certificates', { type: 'residence', purpose: '子女入学' })).body.certificate;
  t.equal(await pdfs(KUANGCUN).collect(), 0, 'nothing approved: nothing rendered');

  t.equal((await h.as.cadre.post(`/api/certificates/${asked.id}/approve`)).status, 200);
  t.equal(await pdfs(null).collect(), 0, 'without a village section nothing can be printed, so nothing is queued');
  t.same(rows(), []);

  const collector = pdfs(KUANGCUN);
  t.equal(await collector.collect(), 1);
  t.equal(await collector.collect(), 0, 'once queued, not again');
  t.equal(await pdfs(KUANGCUN).collect(), 0, 'nor by a fresh collector (after a restart): the queue row is the mark');
  const queued = rows();
  t.equal(queued.length, 1, 'exactly one media row');
  t.match(queued[0], { kind: CERTIFICATE_PDF_KIND, ref: `certificate-${asked.id}`, mime: 'application/pdf', state: 'pending' });
  const file = join(h.dir, queued[0]!.path);
  const pdf = readFileSync(file);
  t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'a real PDF');
  t.equal(pdf.length, queued[0]!.size);
  if (HAS_PDFTOTEXT) {
    const text = pdfText(file);
    t.match(text, /110101\*+1234/, 'the ID number is printed masked');
    t.notMatch(text, /110101195003071234/, 'never in full: the cloud holds no full ID number');
    t.match(text, /匡村村民委员会/);
  } else t.comment('no pdftotext: the printed text is not checked');
  t.notMatch(lines.join(''), /110101195003071234|110101\*/, 'no ID number in the log');

  // Rejected or revoked: nothing new.
  await h.as.cadre.post(`/api/certificates/${other.id}/reject`, { reason: '材料不全' });
  await h.as.cadre.post(`/api/certificates/${asked.id}/revoke`, { reason: '已迁出' });
  t.equal(await collector.collect(), 0);
  t.equal(rows().length, 1);
});
