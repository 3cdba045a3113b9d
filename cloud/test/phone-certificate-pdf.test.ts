/**
 * The certificate PDF on the phone, end to end over the real parts: a villager
 * asks on the phone, a cadre approves on the phone (an op the cloud commits),
 * sync takes the approval to the edge, the edge renders the PDF and its media
 * uploader sends it (tus), and the cloud serves it to the requester and to
 * reviewers only, while the certificate stays approved.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CERTIFICATE_PDF_KIND, certificatePdfRef, type CertificateState, type SyncAuditEntry } from '@cunbox/shared';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { fastUploader } from '@cunbox/test-support/media-rig';
import { waitFor } from '@cunbox/test-support/wait';
import { tmpDir } from '@cunbox/test-support/tmp';
import { MediaQueue } from '../../edge/src/sync/media-queue.ts';
import { MediaUploader } from '../../edge/src/sync/media-uploader.ts';
import { CertificatePdfs } from '../../edge/src/sync/certificate-pdfs.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage, type VillageEdge } from './helpers/phone.ts';

const dir = tmpDir(t, 'cunbox-phone-cert-pdf-');
const ACCOUNTS = [
  { username: 'wangfang', role: 'cadre' },
  { username: 'liwei', role: 'grid_worker' },
  { username: 'zhangsan', role: 'villager' },
  { username: 'lisi', role: 'villager' },
  { username: 'screen', role: 'viewer' },
] as const;
const VILLAGE = { name: '东村', issuer: '东村村民委员会', verifyBaseUrl: 'https://dongcun.example.cn', address: null, phone: null };

let rig: BrokerRig;
let a: PairedVillage;
let edge: VillageEdge;
const tokens: Record<string, string> = {};
const as = (username: string, method: string, path: string, body?: unknown) => http(rig, method, `/api/v1/villages/${a.villageId}${path}`, { token: tokens[username], body });
const download = (username: string, id: string) => fetch(`http://127.0.0.1:${rig.cloud.httpPort}/api/v1/villages/${a.villageId}/certificates/${id}/pdf`, { headers: { authorization: `Bearer ${tokens[username]}` } });

t.before(async () => {
  rig = await aedesRig(dir);
  a = await pairVillage(rig, '东村');
  edge = await startVillageEdge(t, dir, a, 'edge-a', [...ACCOUNTS]);
  await waitFor('accounts at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(a.villageId))?.users === ACCOUNTS.length);
  for (const { username } of ACCOUNTS) {
    const r = await http(rig, 'POST', `/api/v1/villages/${a.villageId}/login`, { body: { username, password: passwordOf(username) } });
    tokens[username] = r.json.token;
  }
});
t.teardown(() => rig?.close());

t.test('approved on the phone → rendered at the edge → downloaded by the requester and reviewers only, while approved', async (t) => {
  const asked = await as('zhangsan', 'POST', '/certificates', { type: 'residence', purpose: '办理社保', applicantName: '张三' });
  t.equal(asked.status, 201, 'the villager asks on the phone');
  const id = asked.json.certificate.id as string;
  const refused = (await as('zhangsan', 'POST', '/certificates', { type: 'residence', purpose: '子女入学', applicantName: '张三' })).json.certificate.id as string;
  t.match(await as('zhangsan', 'GET', `/certificates/${id}`), { status: 200, json: { certificate: { status: 'requested', pdf: null } } });
  t.match(await as('zhangsan', 'GET', `/certificates/${id}/pdf`), { status: 409, json: { error: { code: 'INVALID_TRANSITION' } } }, 'not approved: no PDF');

  t.match(await as('wangfang', 'POST', `/certificates/${id}/approve`, { note: '已核实' }), { status: 200, json: { certificate: { status: 'approved', pdf: 'pending' } } });
  await as('wangfang', 'POST', `/certificates/${refused}/reject`, { reason: '不在本村办理' });
  const early = await as('zhangsan', 'GET', `/certificates/${id}/pdf`);
  t.equal(early.status, 404, 'approved, but the edge has not sent it yet');
  t.match(early.json.error.message, /has not reached the cloud yet/);

  // The edge as composed (edge.ts): the uploader collects approved certificates before each pick.
  const dataDir = join(dir, 'edge-a');
  const queue = new MediaQueue({ db: edge.db, clock: systemClock });
  const pdfs = new CertificatePdfs({ db: edge.db, queue, certificates: edge.gov.certificates, village: VILLAGE, dataDir, clock: systemClock, log: silentLogger() });
  const uploader = new MediaUploader({ queue, clock: systemClock, log: silentLogger(), dataDir, cloudUrl: `http://127.0.0.1:${rig.cloud.httpPort}`, credentials: { edgeId: a.username, password: a.password }, collect: () => pdfs.collect(), options: fastUploader });
  uploader.start();
  t.teardown(() => uploader.stop());
  await waitFor('the approval at the edge', () => edge.gov.store.get<CertificateState>('certificate', id)?.status === 'approved');
  await waitFor('the PDF at the cloud', async () => (await as('zhangsan', 'GET', `/certificates/${id}`)).json.certificate.pdf === 'ready' || undefined, 30_000, 100);
  const row = edge.db.prepare('SELECT path, state FROM sync_media WHERE kind = ?').all(CERTIFICATE_PDF_KIND) as Array<{ path: string; state: string }>;
  t.equal(row.length, 1, 'one PDF queued at the edge: the rejected request has none');

  const auditBefore = await rig.cloud.data.audit.count(a.villageId);
  const mine = await download('zhangsan', id);
  t.equal(mine.status, 200, 'the requester downloads it');
  t.equal(mine.headers.get('content-type'), 'application/pdf');
  t.equal(mine.headers.get('cache-control'), 'private, no-store', 'not cached: it stops being served once revoked');
  const bytes = Buffer.from(await mine.arrayBuffer());
  t.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  t.ok(bytes.equals(readFileSync(join(dataDir, row[0]!.path))), 'the bytes the edge rendered');
  t.equal(await rig.cloud.data.audit.count(a.villageId), auditBefore + 1, 'the download is audited');
  t.match((await rig.cloud.data.audit.after(a.villageId, 0, 1000)).at(-1) as SyncAuditEntry, { actor: 'zhangsan', action: 'certificate.pdf', target: `certificate:${id}`, detail: { outcome: 'served', via: 'phone' } });
  t.equal((await download('wangfang', id)).status, 200, 'a reviewer downloads it');
  t.equal((await as('lisi', 'GET', `/certificates/${id}/pdf`)).status, 404, "another villager: someone else's certificate does not exist for them");
  t.equal((await as('liwei', 'GET', `/certificates/${id}/pdf`)).status, 404, 'a grid worker does not review certificates');
  t.equal((await as('screen', 'GET', `/certificates/${id}/pdf`)).status, 403, 'a viewer may not ask for certificates');
  t.equal((await http(rig, 'GET', `/api/v1/villages/${a.villageId}/certificates/${id}/pdf`)).status, 401);
  t.match(await as('zhangsan', 'GET', `/certificates/${refused}/pdf`), { status: 409, json: { error: { message: /rejected/ } } }, 'a rejected request has no PDF');

  // The sweep of revoked certificates' PDFs leaves an approved one alone.
  const stored = await rig.cloud.media.find(a.villageId, certificatePdfRef(id));
  t.ok(stored && existsSync(stored.path), 'the PDF is in the content store');
  t.same(await rig.cloud.media.pruneRevokedCertificates(), { owners: 0, files: 0 }, 'approved: nothing to delete');
  t.equal((await download('zhangsan', id)).status, 200, 'still served');

  // Revoked at the office: the same address stops answering.
  edge.gov.certificates.revoke({ username: 'wangfang', role: 'cadre' }, id, '已迁出');
  await waitFor('the revocation at the cloud', async () => (await as('zhangsan', 'GET', `/certificates/${id}`)).json.certificate.status === 'revoked' || undefined, 30_000, 100);
  t.match(await as('zhangsan', 'GET', `/certificates/${id}`), { json: { certificate: { pdf: null } } });
  const revoked = await as('zhangsan', 'GET', `/certificates/${id}/pdf`);
  t.match(revoked, { status: 409, json: { error: { code: 'INVALID_TRANSITION', message: /revoked/ } } }, 'a revoked certificate is not served');

  // A revocation is final: the sweep deletes the PDF (a name and a masked ID number) from the cloud.
  t.same(await rig.cloud.media.pruneRevokedCertificates(), { owners: 1, files: 1 }, "the revoked certificate's PDF");
  t.notOk(await rig.cloud.media.find(a.villageId, certificatePdfRef(id)), 'gone from the index');
  t.notOk(existsSync(stored!.path), 'and from the disk');
  t.equal(rig.cloud.media.stats.certificatePdfsPruned, 1);
  t.same(await rig.cloud.media.pruneRevokedCertificates(), { owners: 0, files: 0 }, 'a second pass finds nothing');
  t.match(await as('zhangsan', 'GET', `/certificates/${id}/pdf`), { status: 409 }, 'the answer stays 409');
});
