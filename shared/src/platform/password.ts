/**
 * One password format for the edge and the cloud:
 *   scrypt$<N>$<r>$<p>$<salt, base64>$<key, base64>
 * People's passwords (edge accounts; the cloud checks phone logins against the
 * same hashes, synced from the edge) and the secrets edges log in to the cloud
 * with are stored this way. The cost is written into each hash, so it can grow
 * without breaking what is stored.
 *
 * The cloud once stored edge secrets as `scrypt$<salt hex>$<key hex>` at
 * Node's default cost (N=2^14, r=8, p=1): those still verify, and
 * `needsRehash` says they should be written again in this format.
 */
import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** People's passwords: N=2^15 costs ~50 ms and 32 MiB on the mini-PC, which is what slows a guesser down. */
export const PASSWORD_COST: ScryptCost = { N: 1 << 15, r: 8, p: 1 };
/**
 * Machine-made secrets (an edge's 192 random bits): no guessing to slow down,
 * so only enough cost that a stolen table is no shortcut, and half the work per
 * login for the cloud when every edge reconnects at once.
 */
export const SECRET_COST: ScryptCost = { N: 1 << 14, r: 8, p: 1 };

const KEYLEN = 32;
const SALT_BYTES = 16;
/** Above these a stored hash is not ours (a forged one must not make us allocate without bound). */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;
const MAXMEM = 64 * 1024 * 1024;
/** The cost of the old `scrypt$<salt hex>$<key hex>` hashes: Node's defaults. */
const LEGACY_COST: ScryptCost = { N: 1 << 14, r: 8, p: 1 };

/** Checked against when there is no account, so timing does not reveal which usernames exist. */
export const DUMMY_PASSWORD_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

const format = (cost: ScryptCost, salt: Buffer, key: Buffer): string => `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;

/** On libuv's threadpool: a slow hash never blocks the event loop. */
export async function hashPassword(password: string, cost: ScryptCost = PASSWORD_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return format(cost, salt, await scrypt(password, salt, KEYLEN, { N: cost.N, r: cost.r, p: cost.p, maxmem: MAXMEM }));
}

/** Blocks the event loop for the hash's cost: only where the caller is inside a synchronous transaction (pairing). */
export function hashPasswordSync(password: string, cost: ScryptCost = PASSWORD_COST): string {
  const salt = randomBytes(SALT_BYTES);
  return format(cost, salt, scryptSync(password, salt, KEYLEN, { N: cost.N, r: cost.r, p: cost.p, maxmem: MAXMEM }));
}

interface Parsed {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
  legacy: boolean;
}

const HEX = /^[0-9a-f]+$/i;

/** undefined for anything that is not one of our two formats, or asks for more than we allow. */
function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts[0] !== 'scrypt') return undefined;
  if (parts.length === 3) {
    const [, salt, key] = parts as [string, string, string];
    if (!HEX.test(salt) || !HEX.test(key) || key.length % 2 !== 0) return undefined;
    return { cost: LEGACY_COST, salt: Buffer.from(salt, 'hex'), key: Buffer.from(key, 'hex'), legacy: true };
  }
  if (parts.length !== 6) return undefined;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const power = Number.isInteger(cost.N) && cost.N > 1 && (cost.N & (cost.N - 1)) === 0;
  if (!power || cost.N > MAX_N || !Number.isInteger(cost.r) || cost.r < 1 || cost.r > MAX_R || !Number.isInteger(cost.p) || cost.p < 1 || cost.p > MAX_P) return undefined;
  if (!salt || !key) return undefined;
  return { cost, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64'), legacy: false };
}

/** Never throws: a stored value that is not a hash of ours simply does not match. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h || h.key.length === 0) return false;
  try {
    const key = await scrypt(password, h.salt, h.key.length, { N: h.cost.N, r: h.cost.r, p: h.cost.p, maxmem: MAXMEM });
    return timingSafeEqual(key, h.key);
  } catch {
    return false;
  }
}

/** Whether a hash that just verified should be written again: the old format, or a cost below `cost`. */
export function needsRehash(stored: string, cost: ScryptCost = PASSWORD_COST): boolean {
  const h = parse(stored);
  if (!h) return false;
  return h.legacy || h.cost.N < cost.N || h.cost.r < cost.r || h.cost.p < cost.p;
}
