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
import { FieldCipher, governanceModels } from '@cunbox/shared';
import { loadOrCreateKey } from '@cunbox/shared';
import { OpStore } from '../../governance/store.ts';

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description(ctx.t('verify that the segment index and the files on disk agree, and that governance state is the fold of its ops'))
    .option('--repair', 'mend what is wrong (the edge must be stopped)')
    .option('--json', 'machine-readable output')
    .action(async (o: { repair?: boolean; json?: boolean }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const layout = new Layout(config.dataDir);
      const running = lockHolder(layout.lockFile);
      if (o.repair && running !== undefined) {
        throw new CunboxError('EDGE_RUNNING', `the edge (pid ${running}) is running; stop it first (systemctl stop cunbox-edge): it repairs at start-up by itself`);
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
          if (report.findings.length === 0) ctx.out(`${ctx.t('check passed')} (${report.rowsChecked} rows, ${report.filesChecked} files)`);
          else {
            ctx.out(table(['', 'camera', 'path', 'detail'], report.findings.map((f) => [f.repaired ? ctx.t('repaired') : '✗', f.cameraId ?? '', f.path, `${f.kind}: ${f.detail}`])));
            if (open.length > 0) ctx.out(`${ctx.t('problems found')}: ${open.length}. ${ctx.t('run with --repair to mend them (stop the edge first)')}`);
          }
        }
        if (open.length > 0) ctx.fail(1);
      } finally {
        db.close();
      }
    });

}
