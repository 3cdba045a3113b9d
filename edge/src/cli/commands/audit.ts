import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { openDatabase } from '../../db/database.ts';
import { Layout } from '../../storage/layout.ts';
import { boxTimeZone, parseLocalTime } from '../../local-time.ts';
import { act, localizedHelp } from './camera-support.ts';
import { auditCsv } from '../../api/audit-export.ts';
import type { AuditVerification } from '../../api/audit.ts';
import { auditLogBeside } from '../../api/audit-beside.ts';

const BROKEN: Record<NonNullable<AuditVerification['broken']>['reason'], string> = {
  edited: 'was edited',
  'missing-before': 'rows before it were removed',
  unsealed: 'is not sealed',
  'base-forged': 'the start of the chain was moved',
};


/**
 * The audit trail for an inspector: `verify` walks the hash chain (exit 1 at the
 * first edited or missing row), `export` writes the rows with their hashes.
 */
export function registerAudit(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const audit = localizedHelp(ctx, program.command('audit').description(t('the audit log: verify its hash chain, export it')), ['cunbox audit verify', 'cunbox audit export --from 2026-06-01 --to 2026-12-01 -o audit.csv', 'cunbox audit export --format jsonl -o audit.jsonl']);

  localizedHelp(ctx, audit.command('verify').description(t('check that no audit row was edited or removed')).option('--json', t('machine-readable output')), ['cunbox audit verify', 'cunbox audit verify --json'])
    .action(act(ctx, async (o: { json?: boolean }, cmd: Command) => {
      const db = openDatabase(new Layout(resolveConfig(ctx.store(cmd), ctx.io.env).dataDir).database);
      try {
        const log = auditLogBeside(db);
        log.seal();
        const v = log.verify();
        if (o.json) ctx.out(JSON.stringify(v, null, 2));
        else if (v.ok) ctx.out(`${t('audit chain intact')}: ${v.rows} ${t('rows')}${v.head ? `, ${t('head')} ${v.head}` : ''}`);
        else ctx.out(`${t('audit chain broken')}: ${t('row')} #${v.broken!.id} ${t(BROKEN[v.broken!.reason])} (${v.rows} ${t('rows verified before it')})`);
        if (!v.ok) ctx.fail(1);
      } finally {
        db.close();
      }
    }));

  localizedHelp(
    ctx,
    audit
      .command('export')
      .description(t('write audit rows with their chain hashes (CSV or JSON lines)'))
      .option('--from <time>', t('start, in the box\'s time (e.g. 2026-06-01, 17:00, -2h)'))
      .option('--to <time>', t('end (exclusive)'))
      .addOption(new Option('--format <format>', t('file format')).choices(['csv', 'jsonl']).default('csv'))
      .option('-o, --out <file>', t('write to a file instead of standard output')),
    ['cunbox audit export -o audit.csv'],
  ).action(act(ctx, async (o: { from?: string; to?: string; format: string; out?: string }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const zone = boxTimeZone(config.timezone, ctx.io.env);
      const now = Date.now();
      const range = { from: o.from === undefined ? undefined : parseLocalTime(o.from, { zone, nowMs: now, name: 'from' }), to: o.to === undefined ? undefined : parseLocalTime(o.to, { zone, nowMs: now, name: 'to' }) };
      const db = openDatabase(new Layout(config.dataDir).database);
      try {
        const log = auditLogBeside(db);
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
  }));
}
