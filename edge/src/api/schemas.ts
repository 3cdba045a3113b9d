import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { ID_PATTERN_SOURCE, MONTH_PATTERN, DATE_PATTERN } from '@cunbox/shared';

/**
 * Building blocks for route schemas. Every object is closed
 * (additionalProperties: false): an unknown field is a 400, never ignored.
 */
export const Obj = <P extends Record<string, TSchema>>(props: P, opts: { description?: string } = {}) => Type.Object(props, { additionalProperties: false, ...opts });

export const Id = Type.String({ pattern: ID_PATTERN_SOURCE, description: 'ULID' });
export const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{1,31}$', description: 'lower-case code, e.g. garbage' });
export const Username = Type.String({ pattern: '^[\\p{L}\\p{N}_.-]{2,32}$' });
/** Free text: cleaned by the shared rule (no control or bidi characters, not blank-only; NFC). */
export const Text = (maxLength: number, minLength = 0) => Type.String({ maxLength, minLength, freeText: true });
export const Line = (maxLength = 200) => Type.String({ minLength: 1, maxLength, pattern: '^[^\\n\\r]*\\S[^\\n\\r]*$', freeText: true });
export const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
export const Month = Type.String({ pattern: MONTH_PATTERN, description: 'YYYY-MM (Beijing time)' });
export const DateStr = Type.String({ pattern: DATE_PATTERN, description: 'YYYY-MM-DD (Beijing time)' });
export const EpochMs = Type.Integer({ minimum: 0, maximum: 253402300799999, description: 'milliseconds since the epoch' });
export const MediaIds = (max: number) => Type.Array(Id, { maxItems: max, uniqueItems: true });

export const IdParams = Obj({ id: Id });
export const NoQuery = Obj({});
export const NoBody = Obj({});
export const NoteBody = Obj({ note: Type.Optional(Text(2000)) });
export const ReasonBody = Obj({ reason: Text(2000, 1) });
