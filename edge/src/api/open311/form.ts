/**
 * GeoReport clients POST form fields. Extra answers come as
 * `attribute[code]=v`, a multivaluelist as repeated `attribute[code][]=v`;
 * they are gathered under `attribute` so the body schema can check them like
 * any other field. Other repeated fields keep their last value.
 */
export function parseOpen311Form(body: string): Record<string, unknown> {
  // No prototype: a field named __proto__ is just a field.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const attribute = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of new URLSearchParams(body)) {
    const m = /^attribute\[([^\]]*)\](\[\])?$/.exec(key);
    if (!m) {
      out[key] = value;
      continue;
    }
    const code = m[1]!;
    const prev = attribute[code];
    if (m[2]) attribute[code] = Array.isArray(prev) ? [...prev, value] : prev === undefined ? [value] : [prev, value];
    else attribute[code] = value;
  }
  if (Object.keys(attribute).length > 0) out.attribute = attribute;
  return out;
}
