import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const unitsDir = fileURLToPath(new URL('../../systemd/', import.meta.url));
const UNITS = ['cunbox-edge.service', 'cunbox-cloud.service'];
/** The bar: both units at most 3.0 ("OK") in systemd's own exposure rating. */
const MAX_EXPOSURE = 3.0;

for (const unit of UNITS) {
  const file = `${unitsDir}${unit}`;

  t.test(`${unit}: Type=notify with a watchdog, restarted always, hardened`, async (t) => {
    const text = readFileSync(file, 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=main', 'WatchdogSec=30', 'Restart=always', 'NoNewPrivileges=true', 'ProtectSystem=strict', 'CapabilityBoundingSet=', 'LimitNOFILE=65536']) {
      t.match(text, new RegExp(`^${line}$`, 'm'), line);
    }
    t.match(text, /^User=cunbox/m, 'a dedicated user');
    t.match(text, /^ReadWritePaths=\/var\/lib\/cunbox/m, 'writes only its data directory');
  });

  t.test(`${unit}: systemd-analyze verify has nothing to say`, async (t) => {
    // verify exits 0 even on unknown keys: any output at all is a failure.
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    t.equal(r.error, undefined, 'systemd-analyze runs (scripts/setup installs systemd)');
    t.equal(r.status, 0);
    t.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no warning');
  });

  t.test(`${unit}: systemd-analyze security rates it ${MAX_EXPOSURE} or better`, async (t) => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', file], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`)?.[1]);
    t.ok(Number.isFinite(score), `a score was printed: ${r.stdout.slice(-200)}`);
    t.ok(score <= MAX_EXPOSURE, `exposure ${score} ≤ ${MAX_EXPOSURE}`);
  });
}

t.test('cunbox-edge.service runs the release scripts/install points /opt/cunbox/current at, only with its data disk mounted', async (t) => {
  const text = readFileSync(`${unitsDir}cunbox-edge.service`, 'utf8');
  t.match(text, /^RequiresMountsFor=\/var\/lib\/cunbox$/m, 'no recording onto an empty mount point');
  t.match(text, /^ExecStart=\/usr\/bin\/node \/opt\/cunbox\/current\/edge\/dist\/cunbox\.mjs serve --config \/etc\/cunbox\/config\.yaml$/m);
});
