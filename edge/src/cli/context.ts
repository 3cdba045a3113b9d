import { existsSync } from 'node:fs';
import { loadConfigFile, parseConfig, type EdgeConfig } from '../config/load.ts';
import { CunboxError } from '../errors.ts';

export const DEFAULT_CONFIG = '/etc/cunbox/config.yaml';

export interface StoreOptions {
  config?: string;
  dataDir?: string;
}

/**
 * Which installation a command works on: --config FILE, else --data-dir DIR
 * (defaults for everything else), else $CUNBOX_CONFIG, else /etc/cunbox/config.yaml.
 */
export function resolveConfig(opts: StoreOptions, env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  if (opts.config) return loadConfigFile(opts.config);
  if (opts.dataDir) return parseConfig(JSON.stringify({ data_dir: opts.dataDir }), null);
  if (env.CUNBOX_CONFIG) return loadConfigFile(env.CUNBOX_CONFIG);
  if (existsSync(DEFAULT_CONFIG)) return loadConfigFile(DEFAULT_CONFIG);
  throw new CunboxError('INVALID_INPUT', `no configuration: pass --config FILE or --data-dir DIR (or create ${DEFAULT_CONFIG})`);
}
