/**
 * The cloud for a benchmark, run as in production: `cunbox-cloud serve` in its
 * own process (embedded Aedes), with its data, config and operator token in a
 * fresh temporary directory, on ports chosen here. The caller stops the
 * process and removes `dir`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@cunbox/test-support/ports';

export interface CloudProcess {
  dir: string;
  httpPort: number;
  mqttPort: number;
  token: string;
  child: ChildProcess;
}

/** `mqttPublicUrl`: what pairing tells edges to connect to (a proxy in front of the broker), given the broker's port. */
export async function startCloudProcess(prefix: string, logLevel: string, opts: { mqttPublicUrl?: (mqttPort: number) => Promise<string> } = {}): Promise<CloudProcess> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const token = 'bench-token';
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'operator-token'), token);
  const publicUrl = opts.mqttPublicUrl ? `, public_url: '${await opts.mqttPublicUrl(mqttPort)}'` : '';
  writeFileSync(join(dir, 'cloud.yaml'), [`data_dir: ${join(dir, 'cloud')}`, 'operator_token_file: operator-token', `http: { port: ${httpPort} }`, `mqtt: { port: ${mqttPort}${publicUrl} }`, ''].join('\n'));
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../cloud/bin/cunbox-cloud.js'), 'serve', '--config', join(dir, 'cloud.yaml')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CUNBOX_LOG_LEVEL: logLevel },
  });
  return { dir, httpPort, mqttPort, token, child };
}
