/**
 * Extra questions a ticket category asks (Open311 calls them the attributes of
 * a service definition), and the one rule that checks a report's answers.
 * Pure: no clock, no database, never throws; the edge's routes and the
 * ticket service call it, the fold only reads what it accepted.
 */

export const ATTRIBUTE_DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'] as const;
type AttributeDatatype = (typeof ATTRIBUTE_DATATYPES)[number];

interface AttributeChoice {
  key: string;
  name: string;
}

export interface ServiceAttribute {
  /** Letters, digits and underscore: it travels as `attribute[code]` in form fields. */
  code: string;
  /** The question put to the reporter. */
  description: string;
  datatype: AttributeDatatype;
  required: boolean;
  /** false: an explanation shown to the reporter, never answered. */
  variable: boolean;
  order: number;
  datatypeDescription: string | null;
  /** The choices of a list datatype; empty otherwise. */
  values: AttributeChoice[];
}

/** Accepted answers: one string each, a list for multivaluelist. */
export type AttributeValues = Record<string, string | string[]>;

export const ATTRIBUTE_CODE_PATTERN = '^[A-Za-z0-9_]{1,32}$';
const CODE = new RegExp(ATTRIBUTE_CODE_PATTERN);
const LIST: ReadonlySet<AttributeDatatype> = new Set(['singlevaluelist', 'multivaluelist']);
/** W3C date-time with a zone: what GeoReport clients send. */
const W3C_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const NUMBER = /^-?\d{1,15}(\.\d{1,15})?$/;
const MAX_STRING = 200;
const MAX_TEXT = 4000;
const MAX_CHOSEN = 50;

const isChoice = (v: unknown): v is AttributeChoice => {
  const c = v as AttributeChoice;
  return typeof c === 'object' && c !== null && typeof c.key === 'string' && c.key.length > 0 && c.key.length <= 64 && typeof c.name === 'string' && c.name.length > 0;
};

/** A well-formed definition list: codes unique, list datatypes with distinct choices, others without. */
export function isServiceAttributes(v: unknown): v is ServiceAttribute[] {
  if (!Array.isArray(v) || v.length > 50) return false;
  const codes = new Set<string>();
  for (const a of v as ServiceAttribute[]) {
    if (typeof a !== 'object' || a === null) return false;
    if (typeof a.code !== 'string' || !CODE.test(a.code) || codes.has(a.code)) return false;
    codes.add(a.code);
    if (typeof a.description !== 'string' || a.description.length === 0) return false;
    if (!(ATTRIBUTE_DATATYPES as readonly string[]).includes(a.datatype)) return false;
    if (typeof a.required !== 'boolean' || typeof a.variable !== 'boolean' || !Number.isInteger(a.order)) return false;
    if (a.datatypeDescription !== null && typeof a.datatypeDescription !== 'string') return false;
    if (!Array.isArray(a.values) || !a.values.every(isChoice)) return false;
    if (LIST.has(a.datatype) !== a.values.length > 0) return false;
    if (new Set(a.values.map((c) => c.key)).size !== a.values.length) return false;
  }
  return true;
}

/**
 * Checks a report's answers against its category's questions. Returns the
 * answers to store (trimmed, lists de-duplicated) and one message per
 * problem, each naming the field as a client sent it (`attribute[code]`).
 */
export function checkAttributes(defs: readonly ServiceAttribute[], input: Readonly<Record<string, unknown>>): { values: AttributeValues; errors: string[] } {
  const values: AttributeValues = {};
  const errors: string[] = [];
  const byCode = new Map(defs.map((d) => [d.code, d]));
  for (const code of Object.keys(input)) {
    const def = byCode.get(code);
    if (!def) errors.push(`attribute[${code}]: this service has no such attribute`);
    else if (!def.variable) errors.push(`attribute[${code}]: informational, not to be answered`);
  }
  for (const def of defs) {
    if (!def.variable || !Object.prototype.hasOwnProperty.call(input, def.code)) {
      if (def.variable && def.required) errors.push(`attribute[${def.code}]: required (${def.description})`);
      continue;
    }
    const answer = readAnswer(def, input[def.code]);
    if (answer === null) {
      if (def.required) errors.push(`attribute[${def.code}]: required (${def.description})`);
    } else if (typeof answer === 'object' && !Array.isArray(answer)) errors.push(`attribute[${def.code}]: ${answer.error}`);
    else values[def.code] = answer;
  }
  return { values, errors };
}

/** One answer read by its datatype: null when blank, `{error}` when it does not fit. */
function readAnswer(def: ServiceAttribute, raw: unknown): string | string[] | null | { error: string } {
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((x) => typeof x === 'string')) return { error: 'must be text' };
  const parts = (list as string[]).map((s) => s.trim()).filter((s) => s.length > 0);
  if (def.datatype === 'multivaluelist') {
    if (parts.length === 0) return null;
    if (parts.length > MAX_CHOSEN) return { error: `at most ${MAX_CHOSEN} choices` };
    const unknown = parts.filter((p) => !def.values.some((c) => c.key === p));
    if (unknown.length > 0) return { error: `not among the choices (${def.values.map((c) => c.key).join(', ')})` };
    return [...new Set(parts)];
  }
  if (parts.length > 1) return { error: 'takes one value' };
  const v = parts[0];
  if (v === undefined) return null;
  switch (def.datatype) {
    case 'string':
      return v.length > MAX_STRING || /[\r\n]/.test(v) ? { error: `one line of at most ${MAX_STRING} characters` } : v;
    case 'text':
      return v.length > MAX_TEXT ? { error: `at most ${MAX_TEXT} characters` } : v;
    case 'number':
      return NUMBER.test(v) && Number.isFinite(Number(v)) ? v : { error: 'must be a decimal number' };
    case 'datetime':
      return W3C_DATETIME.test(v) && !Number.isNaN(Date.parse(v)) ? v : { error: 'must be a date-time with its zone, e.g. 2026-05-11T09:00:00+08:00' };
    case 'singlevaluelist':
      return def.values.some((c) => c.key === v) ? v : { error: `not among the choices (${def.values.map((c) => c.key).join(', ')})` };
  }
}

/** Fold reader: answers as stored by an op; anything malformed reads as absent. */
export function readAttributeValues(v: unknown): AttributeValues {
  const out: AttributeValues = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string') out[k] = x;
    else if (Array.isArray(x) && x.every((s) => typeof s === 'string')) out[k] = [...(x as string[])];
  }
  return out;
}
