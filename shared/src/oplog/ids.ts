/**
 * Ids that any node can make without asking another: ULIDs (48-bit
 * millisecond time + 80 random bits, Crockford base32, 26 characters). They
 * sort by creation time, which keeps lists and indexes in a natural order.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ID_PATTERN_SOURCE = '^[0-9A-HJKMNP-TV-Z]{26}$';

export function newId(nowMs: number, random: (bytes: Uint8Array) => Uint8Array = (b) => globalThis.crypto.getRandomValues(b)): string {
  let t = Math.max(0, Math.floor(nowMs));
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = random(new Uint8Array(10));
  let rand = '';
  // 80 bits → 16 characters of 5 bits each.
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      rand += CROCKFORD[(acc >> (bits - 5)) & 31]!;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return time + rand;
}

/** A short random code a person can type (certificate verification): Crockford base32, no I/L/O/U. */
export function newCode(length: number, random: (bytes: Uint8Array) => Uint8Array = (b) => globalThis.crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(length));
  let s = '';
  for (const b of bytes) s += CROCKFORD[b & 31]!;
  return s;
}

/**
 * An op's id is its origin and per-origin sequence number, so deduplicating by
 * id is deduplicating by (origin, seq), which is what the sync inbox does.
 */
export function opId(origin: string, seq: number): string {
  return `${origin}.${seq}`;
}
