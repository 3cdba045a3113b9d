import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { openDatabase } from '../../db/database.ts';
import { Layout } from '../../storage/layout.ts';
import { parseTime } from '../../playback/range.ts';
import { auditCsv } from '../../api/audit-export.ts';
import type { AuditVerification } from '../../api/audit.ts';
import { cliAuditLog } from '../audit-log.ts';

const BROKEN: Record<NonNullable<AuditVerification['broken']>['reason'], string> = {
  edited: 'was edited',
  'missing-before': 'rows before it were removed',
  unsealed: 'is not sealed',
  'base-forged': 'the start of the chain was moved',
};

const EXAMPLES = `
Examples:
  cunbox audit verify
  cunbox audit export --from 2026-06-01T00:00:00+08:00 --to 2026-12-01T00:00:00+08:00 -o audit.csv
  cunbox audit export --format jsonl -o audit.jsonl`;

/**
 * The audit trail for an inspector: `verify` walks the hash chain (exit 1 at the
 * first edited or missing row), `export` writes the rows with their hashes.
 */
export function registerAudit(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const audit = program.command('audit').description(t('the audit log: verify its hash chain, export it')).addHelpText('after', EXAMPLES);

  audit
    .command('verify')
    .description(t('check that no audit row was edited or removed'))
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const db = openDatabase(new Layout(resolveConfig(ctx.store(cmd), ctx.io.env).dataDir).database);
      try {
        const log = cliAuditLog(db);
        log.seal();
        const v = log.verify();
        if (o.json) ctx.out(JSON.stringify(v, null, 2));
        else if (v.ok) ctx.out(`${t('audit chain intact')}: ${v.rows} ${t('rows')}${v.head ? `, ${t('head')} ${v.head}` : ''}`);
        else ctx.out(`${t('audit chain broken')}: ${t('row')} #${v.broken!.id} ${t(BROKEN[v.broken!.reason])} (${v.rows} ${t('rows verified before it')})`);
        if (!v.ok) ctx.fail(1);
      } finally {
        db.close();
      }
    });

  audit
    .command('export')
    .description(t('write audit rows with their chain hashes (CSV or JSON lines)'))
    .option('--from <time>', 'start: ISO 8601 with zone, or epoch ms')
    .option('--to <time>', 'end (exclusive)')
    .option('--format <format>', 'csv or jsonl', 'csv')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { from?: string; to?: string; format: string; out?: string }, cmd: Command) => {
      if (o.format !== 'csv' && o.format !== 'jsonl') throw new Error(`--format: csv or jsonl, not ${o.format}`);
      const range = { from: o.from === undefined ? undefined : parseTime(o.from, 'from'), to: o.to === undefined ? undefined : parseTime(o.to, 'to') };
      const db = openDatabase(new Layout(resolveConfig(ctx.store(cmd), ctx.io.env).dataDir).database);
      try {
        const log = cliAuditLog(db);
        log.record({ actor: 'cli', action: 'audit.exported', detail: { from: range.from ?? null, to: range.to ?? null, format: o.format } });
        const rows = log.export(range);
        const text = o.format === 'csv' ? auditCsv(rows) : [...rows].map((r) => `${JSON.stringify(r)}\n`).join('');
        if (!o.out) return void ctx.io.stdout.write(text);
        const file = createWriteStream(o.out, { mode: 0o600 });
        file.end(text);
        await once(file, 'finish');
        ctx.out(`${t('audit exported')}: ${o.out}`);
      } finally {
        db.close();
      }
    });
}
