/**
 * Free text as people type it (ticket descriptions, notes, names): one rule
 * for every such field on the edge and the cloud. Text is stored and shown to
 * others, so what cannot be shown honestly is refused rather than kept:
 * control characters (a NUL truncates C strings and log lines), bidi
 * overrides (they make "gpj.exe" read as "exe.jpg"), lone surrogates (not
 * text; they break UTF-8 encoders downstream) and strings that show nothing.
 */

/** C0 controls but \t and \n, DEL and the C1 controls. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
/** Embeddings, overrides and isolates: they reorder what the reader sees. */
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Whitespace, format characters (zero-width space, joiners, BOM…) and the fillers that render as blanks. */
const BLANK_ONLY = /^[\p{White_Space}\p{Cf}\u034F\u115F\u1160\u2800\u3164\uFFA0]*$/u;

export type TextCheck = { ok: true; value: string } | { ok: false; reason: string };

/** The text to store (NFC, \r\n as \n), or why it is refused. The empty string passes (length rules are the schema's). */
export function cleanText(input: string): TextCheck {
  const s = input.replace(/\r\n/g, '\n');
  if (CONTROL.test(s)) return { ok: false, reason: 'must not contain control characters' };
  if (BIDI.test(s)) return { ok: false, reason: 'must not contain bidirectional override characters' };
  if (LONE_SURROGATE.test(s)) return { ok: false, reason: 'must not contain unpaired surrogates' };
  if (s.length > 0 && BLANK_ONLY.test(s)) return { ok: false, reason: 'must contain visible characters' };
  return { ok: true, value: s.normalize('NFC') };
}

interface KeywordData {
  parentData: Record<string | number, unknown>;
  parentDataProperty: string | number;
}
type KeywordValidate = ((schema: boolean, data: string, parentSchema?: object, cxt?: KeywordData) => boolean) & { errors?: Array<{ keyword: string; message: string; params: object }> };

const validateFreeText: KeywordValidate = (enabled, data, _parent, cxt) => {
  if (!enabled) return true;
  const r = cleanText(data);
  if (!r.ok) {
    validateFreeText.errors = [{ keyword: 'freeText', message: r.reason, params: {} }];
    return false;
  }
  if (cxt && r.value !== data) cxt.parentData[cxt.parentDataProperty] = r.value;
  return true;
};

/**
 * `{ type: 'string', freeText: true }`: cleanText as an Ajv keyword (it
 * replaces the value with the cleaned one). Every Ajv that compiles route
 * schemas adds it: `ajv.addKeyword(freeTextKeyword)`.
 */
export const freeTextKeyword = {
  keyword: 'freeText',
  type: 'string',
  schemaType: 'boolean',
  modifying: true,
  errors: true,
  validate: validateFreeText,
} as const;
