import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { writeFileDurably } from '../fs/write-durably.ts';

const KEY_BYTES = 32;

/**
 * A 256-bit secret kept in its own file (mode 0600, directory 0700), never in the
 * database: a copy of the database file alone lets nobody forge the audit chain
 * or read encrypted fields. Edge and cloud keep theirs the same way. Created on first use; written to a temporary name, fsynced and
 * renamed so a power cut never leaves a half-written key.
 */
export function loadOrCreateKey(file: string): Buffer {
  const existing = readKey(file);
  if (existing) return existing;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  const key = randomBytes(KEY_BYTES);
  writeFileDurably(file, key.toString('hex'), 0o600);
  return key;
}

/** The key in `file`, or undefined when there is none yet; a damaged key file is an error, never replaced. */
export function readKey(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`key file ${file} is damaged (expected 64 hex digits); restore it from a backup`);
  return Buffer.from(text, 'hex');
}
