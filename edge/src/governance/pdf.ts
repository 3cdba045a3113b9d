import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { chinaDateWritten, type CertificateState } from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { verificationUrl, type VillageIdentity } from './village.ts';

/** Debian's fonts-wqy-microhei; scripts/setup installs it. */
export const DEFAULT_CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
/** The face inside the .ttc collection. */
const TTC_FACE = 'WenQuanYiMicroHei';
/** A village committee's round seal is 42 mm across; the box leaves room for it. */
const SEAL_DIAMETER = (42 / 25.4) * 72;

function fillTemplate(template: string, c: CertificateState): string {
  const values: Record<string, string> = {
    name: c.applicantName,
    idNumber: c.idNumber ?? '（未提供）',
    address: c.address ?? '（未提供）',
    purpose: c.purpose,
    details: c.details,
  };
  return template.replace(/\{(name|idNumber|address|purpose|details)\}/g, (_m, k: string) => values[k] ?? '');
}

/**
 * The printable certificate: title, text, a marked place for the village's
 * seal, the issuer and date under it, and at the foot the verification code
 * and the public address that checks it. The document's metadata carries the
 * code too. Dates come from the certificate (not the clock) so the same
 * certificate always renders the same document.
 */
export async function renderCertificatePdf(c: CertificateState, opts: { fontPath: string; village: VillageIdentity | null }): Promise<Buffer> {
  if (c.status !== 'approved' || !c.verificationCode || c.issuedAt === null) throw new CunboxError('INVALID_TRANSITION', 'only an approved certificate can be printed');
  const { village } = opts;
  if (!village) throw new CunboxError('UNAVAILABLE', 'certificates cannot be printed yet: the config has no village section (village.name and village.verify_base_url)');
  if (!existsSync(opts.fontPath)) {
    throw new CunboxError('UNAVAILABLE', `certificate PDFs need a Chinese font at ${opts.fontPath}: install the Debian package fonts-wqy-microhei (scripts/setup does)`);
  }
  const issued = new Date(c.issuedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 72,
    info: { Title: c.typeName ?? '证明', Author: village.issuer, Subject: `verification code ${c.verificationCode}`, Keywords: c.verificationCode, Creator: 'cunbox', CreationDate: issued, ModDate: issued },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  try {
    doc.registerFont('cjk', opts.fontPath, opts.fontPath.endsWith('.ttc') ? TTC_FACE : undefined);
  } catch (err) {
    throw new CunboxError('UNAVAILABLE', `cannot use the font ${opts.fontPath}: ${(err as Error).message}`);
  }
  const code = c.verificationCode.replace(/(.{4})(?=.)/g, '$1-');
  const left = doc.page.margins.left;
  const right = doc.page.width - doc.page.margins.right;
  const width = right - left;
  doc.font('cjk');
  doc.fontSize(24).text(c.typeName ?? '证明', { align: 'center' });
  doc.moveDown(2);
  doc.fontSize(14).text(fillTemplate(c.template, c), { align: 'left', lineGap: 8, indent: 28 });
  doc.moveDown(2);

  // The seal goes over the right end of the signature block: a dashed circle
  // marks its place, so the office stamps where the issuer and date are.
  const signatureWidth = Math.max(doc.widthOfString(village.issuer), SEAL_DIAMETER);
  const sealX = right - signatureWidth / 2;
  const sealY = doc.y + SEAL_DIAMETER / 2;
  doc.save().lineWidth(0.8).dash(4, { space: 3 }).strokeColor('#999999').circle(sealX, sealY, SEAL_DIAMETER / 2).stroke().restore();
  doc.fontSize(10).fillColor('#999999').text('盖章处', sealX - 40, sealY - 6, { width: 80, align: 'center', lineBreak: false }).fillColor('black');
  doc.x = left;
  doc.y = sealY + SEAL_DIAMETER / 2 + 8;
  doc.fontSize(14).text(village.issuer, left, doc.y, { width, align: 'right' });
  doc.text(chinaDateWritten(c.issuedAt), { width, align: 'right' });

  // The foot: where to ask, and how anyone can check this paper.
  const foot = [village.address ? `地址：${village.address}` : null, village.phone ? `电话：${village.phone}` : null].filter((x) => x !== null).join('　');
  const footLines = [...(foot ? [foot] : []), `核验码：${code}`, `核验网址：${verificationUrl(village, c.verificationCode)}`];
  doc.fontSize(10);
  const footTop = Math.max(doc.y + 36, doc.page.height - doc.page.margins.bottom - footLines.length * 16);
  doc.moveTo(left, footTop - 8).lineTo(right, footTop - 8).lineWidth(0.5).strokeColor('#999999').stroke().strokeColor('black');
  footLines.forEach((line, i) => doc.text(line, left, footTop + i * 16, { width, lineBreak: false }));
  doc.end();
  return done;
}
