import type { Command } from 'commander';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { CunboxError } from '../../errors.ts';
import { openDatabase } from '../../db/database.ts';
import { systemClock } from '../../clock.ts';
import { silentLogger } from '../../log.ts';
import { Layout } from '../../storage/layout.ts';
import { SegmentIndex } from '../../storage/segment-index.ts';
import { reconcile } from '../../storage/reconcile.ts';
import { lockHolder } from '../../storage/lock.ts';
import { table } from '../format.ts';
import { FieldCipher, governanceModels, loadOrCreateKey } from '@cunbox/shared';
import { tf } from '../i18n.ts';
import { act, localizedHelp } from './camera-support.ts';
import { OpStore } from '../../governance/store.ts';

export function registerCheck(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  localizedHelp(
    ctx,
    program
      .command('check')
      .description(t('verify that the segment index and the files on disk agree, and that governance state is the fold of its ops'))
      .option('--repair', t('mend what is wrong (the edge must be stopped)'))
      .option('--wide', t('every column at full width (the table is cut to 80 columns otherwise)'))
      .option('--json', t('machine-readable output')),
    ['cunbox check', 'cunbox check --repair'],
  ).action(act(ctx, async (o: { repair?: boolean; json?: boolean; wide?: boolean }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const layout = new Layout(config.dataDir);
      const running = lockHolder(layout.lockFile);
      if (o.repair && running !== undefined) {
        throw new CunboxError('EDGE_RUNNING', tf(t, 'the edge (pid {pid}) is running; stop it first (systemctl stop cunbox-edge): it repairs at start-up by itself', { pid: running }));
      }
      const db = openDatabase(layout.database);
      try {
        const index = new SegmentIndex({ db, layout, clock: systemClock, log: silentLogger() });
        const report = await reconcile({ db, layout, index, log: silentLogger() }, { repair: o.repair ?? false, skipIncoming: running !== undefined });
        // Governance: every entity's stored state must be the fold of its ops.
        const ops = new OpStore({ db, clock: systemClock, log: silentLogger(), models: governanceModels, cipher: new FieldCipher(loadOrCreateKey(layout.dataKey)) });
        const bad = ops.verify();
        if (bad.length > 0 && o.repair) ops.refoldAll();
        for (const b of bad) report.findings.push({ kind: 'oplog-mismatch', path: `${b.kind}/${b.id}`, cameraId: null, detail: 'stored state differs from the fold of its ops; --repair re-folds it', repaired: o.repair ?? false });
        const open = report.findings.filter((f) => !f.repaired);
        if (o.json) ctx.out(JSON.stringify({ ...report, ok: open.length === 0, edgeRunning: running !== undefined }, null, 2));
        else {
          if (running !== undefined) ctx.out(ctx.t('edge running; incoming segments skipped'));
          if (report.findings.length === 0) ctx.out(`${ctx.t('check passed')} (${tf(t, '{rows} rows, {files} files', { rows: report.rowsChecked, files: report.filesChecked })})`);
          else {
            ctx.out(
              table(
                [{ head: '' }, { head: t('camera') }, { head: t('path'), max: 30, min: 12 }, { head: t('detail'), wrap: true, min: 16 }],
                report.findings.map((f) => [f.repaired ? t('repaired') : '✗', f.cameraId ?? '', f.path, `${f.kind}: ${t(f.detail)}`]),
                { wide: o.wide ?? false },
              ),
            );
            if (open.length > 0) ctx.out(`${ctx.t('problems found')}: ${open.length}. ${ctx.t('run with --repair to mend them (stop the edge first)')}`);
          }
        }
        if (open.length > 0) ctx.fail(1);
      } finally {
        db.close();
      }
    }));

}
