// Every technician command has help with examples in both languages, and
// every message the technician commands can print has a Chinese text.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { translator } from '../src/cli/i18n.ts';
import { cli } from './helpers/cli.ts';

const COMMANDS = [
  ['init'],
  ['doctor'],
  ['cameras'],
  ['cameras', 'discover'],
  ['cameras', 'add'],
  ['cameras', 'list'],
  ['cameras', 'import'],
  ['cameras', 'export'],
  ['cameras', 'test'],
  ['cameras', 'rename'],
  ['cameras', 'set-zone'],
  ['cameras', 'enable'],
  ['cameras', 'disable'],
  ['cameras', 'remove'],
  ['cloud'],
  ['cloud', 'status'],
  ['cloud', 'pair'],
];

t.test('--help: usage, options and examples, in English and Chinese', async (t) => {
  for (const cmd of COMMANDS) {
    const en = await cli([...cmd, '--help']);
    t.equal(en.code, 0, `${cmd.join(' ')} --help exits 0`);
    t.match(en.out, /Usage: cunbox/);
    t.match(en.out, new RegExp(`Examples:\\n {2}cunbox ${cmd.join(' ')}`), `${cmd.join(' ')}: examples`);
    const zh = await cli([...cmd, '--help'], { LANG: 'zh_CN.UTF-8' });
    t.equal(zh.code, 0);
    t.match(zh.out, /用法： cunbox/);
    t.match(zh.out, /示例：/);
    t.match(zh.out, /[\u4e00-\u9fff]{4,}/, `${cmd.join(' ')}: described in Chinese`);
  }
  const wrong = await cli(['cameras', 'test', '--parallel', 'lots']);
  t.equal(wrong.code, 64, 'a bad option value is bad input');
});

/** Keys in calls like t('…'), tf(t, '…'), problem(CODE, '…', '…'), result(id, v, '…', '…'), hint: '…'. */
function keysIn(source: string): string[] {
  const lit = String.raw`('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`;
  const patterns = [
    String.raw`\bt\(\s*` + lit,
    String.raw`\bt[fr]\(\s*(?:ctx\.)?t,\s*` + lit,
    String.raw`problem\(\s*'[A-Z_0-9]+',\s*` + lit + String.raw`,\s*` + lit,
    String.raw`problem\(\s*'[A-Z_0-9]+',\s*[^,'"]+\?\s*` + lit + String.raw`\s*:\s*` + lit + String.raw`,\s*` + lit,
    String.raw`result\(\s*'\w+',\s*'\w+',\s*` + lit + String.raw`(?:,\s*` + lit + ')?',
    String.raw`TemplatedError\(\s*'[A-Z_]+',\s*` + lit,
    String.raw`\bhint:\s*` + lit,
    String.raw`\b(?:at|fail)\(\s*\w+,\s*` + lit,
    String.raw`\bbad\(\s*` + lit,
    String.raw`\{\s*text:\s*` + lit,
  ];
  const keys = new Set<string>();
  for (const p of patterns) {
    for (const m of source.matchAll(new RegExp(p, 'g'))) {
      for (const g of m.slice(1)) {
        if (!g) continue;
        const v = g.startsWith("'") ? g.slice(1, -1).replace(/\\'/g, "'") : (JSON.parse(g) as string);
        if (v.trim()) keys.add(v);
      }
    }
  }
  return [...keys];
}

t.test('every message of the technician and cloud commands has a Chinese text', async (t) => {
  const src = join(import.meta.dirname, '../src');
  const files = [
    ...readdirSync(join(src, 'cli/commands')).filter((f) => /^(camera|cameras|init|doctor|cloud)/.test(f)).map((f) => join(src, 'cli/commands', f)),
    ...['onvif', 'probe', 'doctor'].flatMap((d) => readdirSync(join(src, d)).map((f) => join(src, d, f))),
    join(src, 'cameras/csv.ts'),
  ];
  const zh = translator('zh');
  const keys = files.flatMap((f) => keysIn(readFileSync(f, 'utf8')));
  t.ok(keys.length > 200, `${keys.length} messages found`);
  const missing = [...new Set(keys)].filter((k) => zh(k) === k);
  t.same(missing, [], 'no message without a translation');
  for (const k of keys) {
    const want = [...k.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const got = [...zh(k).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) t.fail(`placeholders differ: ${k} → ${zh(k)}`);
  }
});

t.test('a reader that closes the pipe early (cunbox … | head) ends the CLI quietly', async (t) => {
  const { spawn } = await import('node:child_process');
  const bin = join(import.meta.dirname, '../bin/cunbox.js');
  const child = spawn(process.execPath, [bin, 'cameras', 'add', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // closed before the CLI writes a byte
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, 'exit status 0');
  t.notMatch(stderr, /EPIPE|Error/, 'no stack trace');
});
