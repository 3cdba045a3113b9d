/**
 * Which language a CLI speaks, and translation by English keys: LANG/LC_ALL
 * decide (zh* → Chinese, anything else → English). Keys are the English text,
 * so a missing translation still reads sensibly.
 */
export type Lang = 'zh' | 'en';

export function detectLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const v = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh/i.test(v) ? 'zh' : 'en';
}

/** Commander's words and the titles every CLI of ours prints (help sections, examples, exit codes, "error"). */
export const COMMANDER_ZH: Readonly<Record<string, string>> = {
  'Usage:': '用法：',
  'Options:': '选项：',
  'Commands:': '命令：',
  'Arguments:': '参数：',
  'Global Options:': '全局选项：',
  'Examples:': '示例：',
  'Exit codes:': '退出码：',
  'display help for command': '显示命令帮助',
  options: '选项',
  command: '命令',
  choices: '可选值',
  preset: '预设',
  env: '环境变量',
  default: '默认',
  error: '错误',
};

/** Looks an English key up in `zh` when the language is Chinese. */
export function dictionaryTranslator(lang: Lang, zh: Readonly<Record<string, string>>): (key: string) => string {
  return (key) => (lang === 'zh' ? (zh[key] ?? key) : key);
}

/** Translates a template, then fills its `{name}` placeholders (in either language). */
export function tf(t: (key: string) => string, key: string, vars: Record<string, string | number> = {}): string {
  return t(key).replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** Examples are commands, kept as typed; a trailing `# comment` is translated. */
export function examplesHelp(t: (key: string) => string, examples: readonly string[]): string {
  const line = (e: string) => e.replace(/(\s+# )(.+)$/, (_m, sep: string, comment: string) => `${sep}${t(comment)}`);
  return `\n${t('Examples:')}\n${examples.map((e) => `  ${line(e)}`).join('\n')}\n`;
}

/** The "Exit codes:" block at the end of a CLI's `--help`. */
export function exitCodesHelp(t: (key: string) => string, codes: ReadonlyArray<readonly [number, string]>): string {
  return `\n${t('Exit codes:')}\n${codes.map(([code, what]) => `  ${String(code).padStart(2)}  ${t(what)}`).join('\n')}\n`;
}
