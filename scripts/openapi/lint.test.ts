// The edge's and the cloud's OpenAPI documents, as a real edge and a real cloud
// serve them, pass @redocly/cli lint (rules: redocly.yaml) with no error and no
// warning: what generators and doc tools of other vendors read without surprises.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { tmpDir } from '@cunbox/test-support/tmp';
import { startCloud, startEdge } from './servers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');

interface Problem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer: string }>;
}

async function lint(file: string): Promise<Problem[]> {
  // No telemetry and no update check: the linter runs offline, as everything in the tests does.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  const run = await promisify(execFile)(REDOCLY, ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', '--max-problems', '1000'], { env, cwd: ROOT, maxBuffer: 16 << 20 }).catch(
    (err: { stdout?: string; code?: number }) => {
      // Exit 1 with a JSON report: problems were found (listed below). Anything else is a broken run.
      if (err.code === 1 && err.stdout) return { stdout: err.stdout };
      throw err;
    },
  );
  return (JSON.parse(run.stdout) as { problems: Problem[] }).problems;
}

for (const [name, start] of [['edge', startEdge], ['cloud', startCloud]] as const) {
  t.test(`${name}: the OpenAPI document it serves passes redocly lint`, async (t) => {
    const server = await start();
    t.teardown(() => server.stop());
    const dir = tmpDir(t, 'cunbox-redocly-');
    const file = join(dir, `${name}.openapi.json`);
    writeFileSync(file, JSON.stringify(server.doc));
    const problems = await lint(file);
    t.same(
      problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`),
      [],
      'no errors, no warnings',
    );
  });
}
