/** An edge's password as the cloud stores it, and the check of one presented. */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** Edge passwords: `scrypt$<salt hex>$<key hex>`, Node's default scrypt cost (N=2^14, r=8, p=1). */
const KEYLEN = 32;

/** Only at pairing, after the one-time code was used up: a caller cannot make us run it at will. */
export function hashEdgeSecret(secret: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(secret, salt, KEYLEN).toString('hex')}`;
}

export function verifyEdgeSecret(stored: string, secret: string): Promise<boolean> {
  const [, salt, hash] = stored.split('$');
  if (!salt || !hash) return Promise.resolve(false);
  const expected = Buffer.from(hash, 'hex');
  return new Promise((resolve) => scrypt(secret, Buffer.from(salt, 'hex'), expected.length, (err, key) => resolve(!err && key.length === expected.length && timingSafeEqual(key, expected))));
}
