/**
 * Total readers for op payloads: a fold must never throw, so a field of the
 * wrong type (an op from a newer or buggy peer) reads as absent.
 */
export type Payload = Record<string, unknown>;

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
export const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
export const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
export const obj = (v: unknown): Payload | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Payload) : null);

/**
 * Last-writer-wins fields: the fold visits ops in HLC order, so the latest
 * write of a field is simply the last one applied. Only keys present in the
 * payload (and of the right type) change.
 */
export function assignFields<T extends object>(target: T, fields: Payload | null, readers: { [K in keyof T]?: (v: unknown) => T[K] | undefined }): void {
  if (!fields) return;
  for (const key of Object.keys(readers) as Array<keyof T & string>) {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
    const read = readers[key]!;
    const value = read(fields[key]);
    if (value !== undefined) target[key] = value;
  }
}

/** Reader helpers for assignFields: `undefined` means "ignore this write". */
export const f = {
  str: (v: unknown) => (typeof v === 'string' ? v : undefined),
  strOrNull: (v: unknown) => (v === null ? null : typeof v === 'string' ? v : undefined),
  num: (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined),
  numOrNull: (v: unknown) => (v === null ? null : typeof v === 'number' && Number.isFinite(v) ? v : undefined),
  bool: (v: unknown) => (typeof v === 'boolean' ? v : undefined),
  strList: (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined),
  /** A JSON value copied, so state never shares objects with an op. */
  json: <T>(check: (v: unknown) => boolean) => (v: unknown) => (check(v) ? (structuredClone(v) as T) : undefined),
};
