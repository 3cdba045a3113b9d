// Every technician command has help with examples in both languages, and
// every message the technician commands can print has a Chinese text.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { translator } from '../src/cli/i18n.ts';
import { cli } from '@cunbox/test-support/edge-cli';

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

/** Every command path, found by walking the command lists of the help itself (so new commands are covered). */
async function allCommands(path: string[] = []): Promise<string[][]> {
  const { out } = await cli([...path, '--help']);
  const list = /Commands:\n([\s\S]*?)(?:\n\n|$)/.exec(out)?.[1] ?? '';
  const names = [...list.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  const below = await Promise.all(names.map((n) => allCommands([...path, n])));
  return [path, ...below.flat()];
}

// Commander's own words and ours: none may be left in English in the Chinese help.
const ENGLISH_UI = /\b(Usage|Options|Commands|Arguments|Examples|Exit codes|default|error|required|choices|display help|options|command)\b/;

t.test('--help of every command: no English UI words under zh_CN, English under C and en_US', async (t) => {
  const paths = await allCommands();
  t.ok(paths.length >= 30, `${paths.length} commands`);
  for (const p of paths) {
    const name = ['cunbox', ...p].join(' ');
    const zh = await cli([...p, '--help'], { LANG: 'zh_CN.UTF-8' });
    t.equal(zh.code, 0, `${name}: exit 0`);
    const english = zh.out.split('\n').filter((l) => ENGLISH_UI.test(l));
    t.same(english, [], `${name}: no English UI words in Chinese help`);
    t.match(zh.out, /^用法： cunbox/, `${name}: usage line in Chinese`);
    for (const lang of ['C', 'en_US.UTF-8']) {
      const en = await cli([...p, '--help'], { LANG: lang });
      t.match(en.out, /^Usage: cunbox/, `${name} (${lang}): English`);
      t.notMatch(en.out, /用法|选项：|命令：|示例：/, `${name} (${lang}): no Chinese titles`);
    }
  }
  // Commander's errors too.
  const unknown = await cli(['cameras', 'list', '--colour'], { LANG: 'zh_CN.UTF-8' });
  t.equal(unknown.code, 64);
  t.match(unknown.err, /^错误：未知选项“--colour”/);
  t.notMatch(unknown.err, ENGLISH_UI);
  const missing = await cli(['cameras', 'rename', '3'], { LANG: 'zh_CN.UTF-8' });
  t.match(missing.err, /^错误：缺少必需的参数“new-name”/);
  const bad = await cli(['cameras', 'test', '--parallel', 'lots'], { LANG: 'zh_CN.UTF-8' });
  t.match(bad.err, /^错误：选项“--parallel <n>”的取值“lots”无效：应为 1 到 128 之间的整数/);
  const required = await cli(['holds', 'add', '--camera', '3'], { LANG: 'zh_CN.UTF-8' });
  t.match(required.err, /^错误：必须给出选项“--from <time>”/);
  const en = await cli(['cameras', 'list', '--colour'], { LANG: 'C' });
  t.match(en.err, /^error: unknown option '--colour'/);
});

t.test('cunbox --help documents every exit code the error table can produce, 69 and 77 included', async (t) => {
  const { errorTable } = await import('../src/errors.ts');
  const { out } = await cli(['--help']);
  const block = /Exit codes:\n([\s\S]*)$/.exec(out)?.[1] ?? '';
  const documented = new Set([...block.matchAll(/^ +(\d+) {2}\S/gm)].map((m) => Number(m[1])));
  for (const [code, { exit }] of Object.entries(errorTable)) t.ok(documented.has(exit), `${code} → exit ${exit} documented`);
  t.match(block, /69 {2}unavailable/);
  t.match(block, /77 {2}permission denied/);
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  for (const code of documented) t.match(readme, new RegExp(`\\| ${code} \\|`), `README lists exit code ${code}`);
  const zh = await cli(['--help'], { LANG: 'zh_CN.UTF-8' });
  t.match(zh.out, /退出码：\n +0 {2}成功/);
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

t.test('every message of the CLI commands has a Chinese text', async (t) => {
  const src = join(import.meta.dirname, '../src');
  const files = [
    ...readdirSync(join(src, 'cli/commands')).map((f) => join(src, 'cli/commands', f)),
    join(src, 'cli/main.ts'),
    // Commander's words and the help titles live in shared/ (the cloud's CLI uses them too).
    ...['commander-i18n.ts', 'lang.ts'].map((f) => join(src, '../../shared/src/cli', f)),
    // Every .ts file below them, sub-folders (onvif/events/) included.
    ...['onvif', 'probe', 'doctor'].flatMap((d) => (readdirSync(join(src, d), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(src, d, f))),
    ...['cameras/csv.ts', 'local-time.ts', 'playback/range.ts', 'storage/holds.ts', 'auth/users.ts', 'config/load.ts'].map((f) => join(src, f)),
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
