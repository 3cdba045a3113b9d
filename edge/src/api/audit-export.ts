import type { AuditEntry } from './audit.ts';

const COLUMNS = ['id', 'at', 'actor', 'role', 'action', 'target', 'detail', 'ip', 'hash'] as const;

/**
 * RFC 4180 CSV with a UTF-8 byte-order mark, so a county clerk's spreadsheet
 * opens the Chinese text right; `at` as ISO 8601 UTC, `detail` as JSON.
 */
export function auditCsv(rows: Iterable<AuditEntry & { hash: string | null }>): string {
  const out = [`\ufeff${COLUMNS.join(',')}\r\n`];
  for (const r of rows) {
    const cells = [r.id, new Date(r.at).toISOString(), r.actor, r.role, r.action, r.target, r.detail ? JSON.stringify(r.detail) : null, r.ip, r.hash];
    out.push(`${cells.map(csvCell).join(',')}\r\n`);
  }
  return out.join('');
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // A leading = + - @ would run as a formula in a spreadsheet: quote it as text.
  const guarded = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(guarded) || guarded !== s ? `"${guarded.replace(/"/g, '""')}"` : s;
}
