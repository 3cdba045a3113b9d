import { chinaDateWritten } from '@cunbox/shared';
import type { Verification } from '@cunbox/shared';
import type { VillageIdentity } from './village.ts';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * The page someone sees who scans or types the address printed on a
 * certificate: a phone browser, often of another office. Small, zh-CN, no
 * script; only what the public check returns (masked holder, no ID number).
 * `verification` undefined: no certificate has this code.
 */
export function renderVerificationPage(verification: Verification | undefined, code: string, village: VillageIdentity | null): string {
  const issuer = village?.issuer ?? null;
  let verdict: string;
  let tone: 'ok' | 'bad';
  if (!verification) {
    tone = 'bad';
    verdict = '未查到：没有与此核验码对应的证明。请核对输入是否与证明上印的一致。';
  } else if (verification.valid) {
    tone = 'ok';
    verdict = `有效：此证明${issuer ? `由${escapeHtml(issuer)}` : ''}开具，现仍有效。`;
  } else {
    tone = 'bad';
    verdict = `已作废：此证明${verification.revokedAt !== null ? `已于${chinaDateWritten(verification.revokedAt)}` : '已'}作废，不再有效。`;
  }
  // As printed: four by four. The route let through only code characters and dashes.
  const printed = code.toUpperCase().replace(/-/g, '').replace(/(.{4})(?=.)/g, '$1-');
  const rows: Array<[string, string]> = [['核验码', escapeHtml(printed)]];
  if (verification) {
    rows.push(['证明类型', escapeHtml(verification.type ?? '证明')], ['持证人', escapeHtml(verification.holder)]);
    if (verification.issuedAt !== null) rows.push(['开具日期', chinaDateWritten(verification.issuedAt)]);
    if (issuer) rows.push(['开具单位', escapeHtml(issuer)]);
  }
  const title = `证明核验${issuer ? ` · ${escapeHtml(issuer)}` : ''}`;
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>
body { font-family: sans-serif; margin: 0; padding: 1.5rem; color: #222; background: #f6f6f6; }
main { max-width: 32rem; margin: 0 auto; background: #fff; padding: 1.5rem; border-radius: 8px; }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
.verdict { padding: 0.8rem 1rem; border-radius: 6px; font-weight: bold; }
.ok { background: #e7f6ea; color: #1b6b2a; }
.bad { background: #fdeaea; color: #a11a1a; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.5rem 1rem; margin: 1.2rem 0; }
dt { color: #666; }
dd { margin: 0; }
.note { font-size: 0.85rem; color: #666; }
</style>
</head>
<body>
<main>
<h1>${title}</h1>
<p class="verdict ${tone}">${verdict}</p>
<dl>
${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('\n')}
</dl>
<p class="note">请核对纸质证明上的类型、持证人和日期与本页一致。为保护隐私，本页不显示完整姓名和身份证号。</p>
</main>
</body>
</html>
`;
}
