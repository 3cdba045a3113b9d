import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { chinaDate, type CertificateState } from '@cunbox/shared';
import { CunboxError } from '../errors.ts';

/** Debian's fonts-wqy-microhei; scripts/setup installs it. */
export const DEFAULT_CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
/** The face inside the .ttc collection. */
const TTC_FACE = 'WenQuanYiMicroHei';

export function fillTemplate(template: string, c: CertificateState): string {
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
 * The printable certificate. The verification code and the page that checks
 * it are printed on it; the document's metadata carries the code too. Dates
 * come from the certificate (not the clock) so the same certificate always
 * renders the same document.
 */
export async function renderCertificatePdf(c: CertificateState, opts: { fontPath: string; verifyUrl: string; issuer: string }): Promise<Buffer> {
  if (c.status !== 'approved' || !c.verificationCode || c.issuedAt === null) throw new CunboxError('INVALID_TRANSITION', 'only an approved certificate can be printed');
  if (!existsSync(opts.fontPath)) {
    throw new CunboxError('UNAVAILABLE', `certificate PDFs need a Chinese font at ${opts.fontPath}: install the Debian package fonts-wqy-microhei (scripts/setup does)`);
  }
  const issued = new Date(c.issuedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 72,
    info: { Title: c.typeName ?? '证明', Subject: `verification code ${c.verificationCode}`, Keywords: c.verificationCode, Creator: 'cunbox', CreationDate: issued, ModDate: issued },
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
  const date = chinaDate(c.issuedAt).split('-');
  const code = c.verificationCode.replace(/(.{4})(?=.)/g, '$1-');
  doc.font('cjk');
  doc.fontSize(24).text(c.typeName ?? '证明', { align: 'center' });
  doc.moveDown(2);
  doc.fontSize(14).text(fillTemplate(c.template, c), { align: 'left', lineGap: 8, indent: 28 });
  doc.moveDown(4);
  doc.text(opts.issuer, { align: 'right' });
  doc.text(`${date[0]}年${Number(date[1])}月${Number(date[2])}日`, { align: 'right' });
  doc.moveDown(4);
  doc.fontSize(10).text(`核验码：${code}`);
  doc.text(`核验网址：${opts.verifyUrl}`);
  doc.end();
  return done;
}
