import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import type { CliContext } from '../command-context.ts';
import { DEFAULT_CONFIG } from '../context.ts';
import { loadConfigFile } from '../../config/load.ts';
import { CunboxError } from '../../errors.ts';
import { readTls, writeSelfSignedTls } from '../../api/tls.ts';
import { tf } from '../i18n.ts';
import { act, localizedHelp } from './camera-support.ts';


/**
 * HTTPS for the office LAN: a self-signed certificate next to the config file,
 * the config's http.tls pointing at it, and the fingerprint to check in the
 * office browser the first time it warns.
 */
export function registerTls(program: Command, ctx: CliContext): void {
  const { t } = ctx;
  const tls = localizedHelp(ctx, program.command('tls').description(t('HTTPS for the LAN API: make a self-signed certificate, show its fingerprint')), ["cunbox tls create                                   # this box's name and LAN addresses", 'cunbox tls create --host 192.0.2.20 --host cunbox.lan', 'cunbox tls show']);

  localizedHelp(
    ctx,
    tls
      .command('create')
      .description(t('make a self-signed certificate for this box and turn HTTPS on in the config (restart the edge afterwards)'))
      .option('--host <name-or-address...>', t('names and addresses the office reaches the box by (the host name and LAN addresses when left out)'))
      .option('--force', t('replace an existing certificate')),
    ['cunbox tls create --host 192.0.2.20'],
  ).action(act(ctx, async (o: { host?: string[]; force?: boolean }, cmd: Command) => {
      const configFile = ctx.store(cmd).config ?? ctx.io.env.CUNBOX_CONFIG ?? DEFAULT_CONFIG;
      const config = loadConfigFile(configFile);
      if (!config.http) throw new CunboxError('INVALID_INPUT', t('the config has no http: section; HTTPS needs the API on (cunbox init --listen …)'));
      if (config.http.tls && !o.force) throw new CunboxError('INVALID_INPUT', tf(t, 'HTTPS is already on ({file}); --force replaces the certificate', { file: config.http.tls.certFile }));
      const files = config.http.tls ?? { certFile: join(dirname(configFile), 'tls', 'cert.pem'), keyFile: join(dirname(configFile), 'tls', 'key.pem') };
      const hosts = o.host?.length ? o.host : lanNames();
      const made = await writeSelfSignedTls(files, hosts);
      if (!config.http.tls) enableTlsInConfig(configFile, { cert: relative(dirname(configFile), files.certFile), key: relative(dirname(configFile), files.keyFile) });
      ctx.out(`${t('certificate')}: ${files.certFile}`);
      ctx.out(`${t('for')}: ${hosts.join(', ')}`);
      ctx.out(`${t('valid until')}: ${made.notAfter.toISOString().slice(0, 10)}`);
      ctx.out(`${t('SHA-256 fingerprint (compare it in the office browser)')}:\n  ${made.fingerprint}`);
      ctx.out(t('restart the edge to serve HTTPS: systemctl restart cunbox-edge'));
  }));

  localizedHelp(ctx, tls.command('show').description(t("the certificate's fingerprint and expiry")).option('--json', t('machine-readable output')), ['cunbox tls show'])
    .action(act(ctx, async (o: { json?: boolean }, cmd: Command) => {
      const config = loadConfigFile(ctx.store(cmd).config ?? ctx.io.env.CUNBOX_CONFIG ?? DEFAULT_CONFIG);
      if (!config.http?.tls) throw new CunboxError('NOT_FOUND', t('HTTPS is off (no http.tls in the config); cunbox tls create turns it on'));
      const m = readTls(config.http.tls);
      if (o.json) return void ctx.out(JSON.stringify({ certFile: config.http.tls.certFile, fingerprint: m.fingerprint, notAfter: m.notAfter.toISOString() }, null, 2));
      ctx.out(`${t('certificate')}: ${config.http.tls.certFile}`);
      ctx.out(`${t('valid until')}: ${m.notAfter.toISOString().slice(0, 10)}`);
      ctx.out(`${t('SHA-256 fingerprint (compare it in the office browser)')}:\n  ${m.fingerprint}`);
  }));
}

/** The box's host name and its non-loopback addresses: read from the interfaces, nothing is sent. */
function lanNames(): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && (a.family === 'IPv4' || !a.address.startsWith('fe80')))
    .map((a) => a!.address);
  return [hostname(), ...addresses, 'localhost', '127.0.0.1'];
}

/** Adds http.tls to the YAML file, keeping its comments and order. */
function enableTlsInConfig(file: string, tls: { cert: string; key: string }): void {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['http', 'tls'], doc.createNode(tls));
  writeFileSync(file, doc.toString());
}
