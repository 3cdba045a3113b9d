import t from 'tap';
import fc from 'fast-check';
import { DEFAULT_TICKET_CATEGORIES, checkAttributes, isServiceAttributes, readAttributeValues, ticketCategoryModel, type ServiceAttribute } from '../src/index.ts';

const defs: ServiceAttribute[] = [
  { code: 'pole_no', description: '灯杆编号', datatype: 'number', required: true, variable: true, order: 1, datatypeDescription: null, values: [] },
  { code: 'kind', description: '种类', datatype: 'singlevaluelist', required: false, variable: true, order: 2, datatypeDescription: null, values: [{ key: 'a', name: 'A' }, { key: 'b', name: 'B' }] },
  { code: 'faults', description: '故障', datatype: 'multivaluelist', required: false, variable: true, order: 3, datatypeDescription: null, values: [{ key: 'x', name: 'X' }, { key: 'y', name: 'Y' }] },
  { code: 'seen', description: '时间', datatype: 'datetime', required: false, variable: true, order: 4, datatypeDescription: null, values: [] },
  { code: 'where', description: '位置', datatype: 'string', required: false, variable: true, order: 5, datatypeDescription: null, values: [] },
  { code: 'hint', description: '注意安全', datatype: 'text', required: true, variable: false, order: 6, datatypeDescription: null, values: [] },
];

t.test('checkAttributes: answers by datatype; every problem named; an informational attribute is never required', async (t) => {
  t.ok(isServiceAttributes(defs));
  t.same(checkAttributes(defs, { pole_no: '7', kind: 'b', faults: ['y', 'x', 'y'], seen: '2026-05-11T09:00:00+08:00', where: ' 桥头 ' }), { values: { pole_no: '7', kind: 'b', faults: ['y', 'x'], seen: '2026-05-11T09:00:00+08:00', where: '桥头' }, errors: [] });
  t.same(checkAttributes(defs, { pole_no: '7', faults: 'x' }).values, { pole_no: '7', faults: ['x'] }, 'one choice of a multivaluelist may come alone');
  t.same(checkAttributes(defs, { pole_no: '  ' }).errors, ['attribute[pole_no]: required (灯杆编号)'], 'blank is missing');
  t.same(checkAttributes(defs, { pole_no: ['1', '2'], kind: 'c', seen: '2026-05-11 09:00', where: 'a\nb', hint: 'x', other: '1' }).errors, [
    'attribute[hint]: informational, not to be answered',
    'attribute[other]: this service has no such attribute',
    'attribute[pole_no]: takes one value',
    'attribute[kind]: not among the choices (a, b)',
    'attribute[seen]: must be a date-time with its zone, e.g. 2026-05-11T09:00:00+08:00',
    'attribute[where]: one line of at most 200 characters',
  ]);
  t.same(checkAttributes(defs, { pole_no: '1', where: { toString: 1 } as unknown }).errors, ['attribute[where]: must be text']);
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('pole_no', 'kind', 'faults', 'seen', 'where', 'hint', 'zzz', '__proto__'), fc.anything()), (input) => {
      const r = checkAttributes(defs, input);
      return Array.isArray(r.errors) && (r.errors.length > 0 || Object.keys(r.values).every((k) => defs.some((d) => d.code === k)));
    }),
  );
});

t.test('definitions: malformed lists are refused, the fold keeps only well-formed answers', async (t) => {
  const one = defs[1]!;
  for (const bad of [[{ ...one, values: [] }], [{ ...defs[0]!, values: one.values }], [one, one], [{ ...one, code: 'a-b' }], [{ ...one, datatype: 'date' }], [{ ...one, values: [{ key: 'a', name: 'A' }, { key: 'a', name: 'B' }] }], 'x', null]) {
    t.notOk(isServiceAttributes(bad), JSON.stringify(bad));
  }
  t.ok(isServiceAttributes(DEFAULT_TICKET_CATEGORIES.facility!.attributes), 'the built-in definition is well formed');
  t.same(readAttributeValues({ a: 'x', b: ['y'], c: 3, d: ['z', 4], e: null }), { a: 'x', b: ['y'] });
  t.same(readAttributeValues('x'), {});
  t.same(ticketCategoryModel.init('garbage').attributes, [], 'a category without questions');
  t.same(ticketCategoryModel.init('facility').attributes.map((a) => a.code), ['facility_kind']);
});
