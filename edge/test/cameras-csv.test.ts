// The camera CSV as spreadsheets and editors really write it: line endings
// mixed in one file, values spanning lines, and line numbers a technician can
// find in an editor.
import t from 'tap';
import { parseCameraCsv } from '../src/cameras/csv.ts';

const rowsOf = (text: string) => parseCameraCsv(Buffer.from(text)).rows.map((r) => ({ line: r.line, name: r.name, password: r.password }));

t.test('header with LF, rows with CR LF: no CR in any value, lines 2, 3, 4', async (t) => {
  const text = 'name,zone,onvif,main,sub,user,password\ncam-a,,127.0.0.1:8001,,,admin,pw-a\r\ncam-b,,127.0.0.1:8002,,,admin,pw-b\r\ncam-c,,127.0.0.1:8003,,,admin,pw-c\r\n';
  t.same(rowsOf(text), [
    { line: 2, name: 'cam-a', password: 'pw-a' },
    { line: 3, name: 'cam-b', password: 'pw-b' },
    { line: 4, name: 'cam-c', password: 'pw-c' },
  ]);
});

t.test('old Mac line endings (CR alone) and a last row without a line break', async (t) => {
  t.same(rowsOf('name,onvif,password\rcam-a,127.0.0.1:8001,pw-a\rcam-b,127.0.0.1:8002,pw-b'), [
    { line: 2, name: 'cam-a', password: 'pw-a' },
    { line: 3, name: 'cam-b', password: 'pw-b' },
  ]);
});

t.test('a quoted value spanning lines: the row is numbered where it starts, the rows after it where they are', async (t) => {
  const text = 'name,zone,onvif,password\r\n"东口\r\n北侧",,127.0.0.1:8001,pw-a\r\n\r\ncam-b,"区\n一",127.0.0.1:8002,pw-b\ncam-c,,127.0.0.1:8003,pw-c\r\n';
  t.same(rowsOf(text), [
    { line: 2, name: '东口\n北侧', password: 'pw-a' },
    { line: 5, name: 'cam-b', password: 'pw-b' },
    { line: 7, name: 'cam-c', password: 'pw-c' },
  ]);
});

t.test('problems name the line the bad row is on in a mixed file', async (t) => {
  const text = 'name,onvif,password\n"two\r\nlines",127.0.0.1:8001,x\r\n,127.0.0.1:8002,y\r\ncam-d,127.0.0.1:99999,z\n';
  const err = t.throws(() => parseCameraCsv(Buffer.from(text), 'mixed.csv')) as unknown as { detailTemplates: Array<{ text: string; vars: Record<string, unknown> }> };
  t.same(err.detailTemplates.map((d) => d.vars.line), [4, 5]);
});
