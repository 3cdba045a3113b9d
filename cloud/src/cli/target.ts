/**
 * Which cloud an operator command talks to, and with which token:
 * --url and --token-file when given, else the cloud config (--config, else
 * $CUNBOX_CLOUD_CONFIG, else /etc/cunbox-cloud/config.yaml): its http
 * address and its operator_token_file, as `serve` reads them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadCloudConfig } from '../config.ts';
import { CliError } from './cli-error.ts';

const DEFAULT_CLOUD_CONFIG = '/etc/cunbox-cloud/config.yaml';

export interface TargetOptions {
  config?: string;
  url?: string;
  tokenFile?: string;
}

export interface Target {
  url: string;
  token: string;
}

/** A server bound to every address is reached on loopback from the same machine. */
function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export function resolveTarget(o: TargetOptions, env: NodeJS.ProcessEnv): Target {
  const url = o.url ?? env.CUNBOX_CLOUD_URL;
  const tokenFile = o.tokenFile ?? env.CUNBOX_CLOUD_TOKEN_FILE;
  if (url && tokenFile) return { url: checkUrl(url), token: readToken(tokenFile) };
  const file = o.config ?? env.CUNBOX_CLOUD_CONFIG ?? (existsSync(DEFAULT_CLOUD_CONFIG) ? DEFAULT_CLOUD_CONFIG : undefined);
  if (!file) throw new CliError('CONFIG_INVALID', 'which cloud? pass --config FILE, or --url URL with --token-file FILE', {}, 'the demo prints its operator token file');
  let config;
  try {
    config = loadCloudConfig(file);
  } catch (err) {
    throw new CliError('CONFIG_INVALID', 'cannot read the cloud config: {reason}', { reason: (err as Error).message });
  }
  return { url: url ? checkUrl(url) : localUrl(config.http.host, config.http.port), token: tokenFile ? readToken(tokenFile) : config.operatorToken };
}

function checkUrl(url: string): string {
  if (!/^https?:\/\/[^/]+/.test(url)) throw new CliError('INVALID_INPUT', '--url: an http:// or https:// address, not "{url}"', { url });
  return url;
}

function readToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new CliError('CONFIG_INVALID', 'cannot read the operator token file {file}: {reason}', { file, reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
  }
  if (!token) throw new CliError('CONFIG_INVALID', 'the operator token file {file} is empty', { file });
  return token;
}
