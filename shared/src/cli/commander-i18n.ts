/**
 * Commander's own words (used by the edge's `cunbox` and the cloud's `cunbox-cloud`) (section titles, "(default: …)", "[options]", the
 * help option, its error messages) in the reader's language. Configured once
 * on the root command: commander copies help, output and help-option settings
 * to every subcommand made after it, so command modules do nothing for this.
 */
import { Help, type Command, type Option, type Argument } from 'commander';
import type { Lang } from './lang.ts';
import { displayWidth } from './table.ts';

type T = (key: string) => string;

/** Commander's error texts → Chinese; `$1`… are the option, argument or command named. */
const ERRORS_ZH: Array<[RegExp, string]> = [
  [/^error: unknown option '(.+?)'/, '错误：未知选项“$1”'],
  [/^error: unknown command '(.+?)'/, '错误：未知命令“$1”'],
  [/^error: missing required argument '(.+?)'/, '错误：缺少必需的参数“$1”'],
  [/^error: option '(.+?)' argument missing/, '错误：选项“$1”缺少取值'],
  [/^error: required option '(.+?)' not specified/, '错误：必须给出选项“$1”'],
  [/^error: option '(.+?)' argument '(.*?)' is invalid\. ?/, '错误：选项“$1”的取值“$2”无效：'],
  [/^error: command-argument value '(.*?)' is invalid for argument '(.+?)'\. ?/, '错误：参数“$2”的取值“$1”无效：'],
  [/^error: too many arguments(?: for '(.+?)')?\. Expected (\d+) arguments? but got (\d+)\./, '错误：参数过多：应为 $2 个，实际 $3 个。'],
  [/^error: (.+?) cannot be used with (.+)$/m, '错误：$1 不能与 $2 一起使用'],
  [/\(Did you mean one of (.+?)\?\)/, '（是否想用其中之一：$1？）'],
  [/\(Did you mean (.+?)\?\)/, '（是否想用 $1？）'],
  [/Allowed choices are (.+?)\./, '可选值：$1。'],
  [/expected a whole number from (\S+) to (\S+)/, '应为 $1 到 $2 之间的整数'],
  [/expected a number from (\S+) to (\S+)/, '应为 $1 到 $2 之间的数'],
  [/^error: /, '错误：'],
];

function localizeCommanderError(text: string, lang: Lang): string {
  if (lang !== 'zh') return text;
  return ERRORS_ZH.reduce((s, [re, zh]) => s.replace(re, zh), text);
}

/** "(default: 5, choices: …)" after an option's description, with its words translated. */
function localizeExtra(text: string, t: T): string {
  return text.replace(/\(((?:choices|default|preset|env): .*)\)$/, (_m, inner: string) => `(${inner.replace(/\b(choices|default|preset|env): /g, (_w, word: string) => `${t(word)}: `)})`);
}

export function localizeCommander(program: Command, lang: Lang, t: T, write: { out: (s: string) => void; err: (s: string) => void }): void {
  const placeholders = (usage: string) => usage.replace('[options]', `[${t('options')}]`).replace('[command]', `[${t('command')}]`);
  program
    .configureHelp({
      styleTitle: (s: string) => t(s),
      // Chinese characters take two terminal columns: commander counts one.
      displayWidth: (s: string) => displayWidth(s.replace(/\x1b\[\d*(;\d*)*m/g, '')),
      commandUsage: (cmd: Command) => placeholders(Help.prototype.commandUsage.call(new Help(), cmd)),
      subcommandTerm: (cmd: Command) => placeholders(Help.prototype.subcommandTerm.call(new Help(), cmd)),
      optionDescription: (o: Option) => localizeExtra(Help.prototype.optionDescription.call(new Help(), o), t),
      argumentDescription: (a: Argument) => localizeExtra(Help.prototype.argumentDescription.call(new Help(), a), t),
    })
    .configureOutput({
      writeOut: write.out,
      writeErr: write.err,
      outputError: (s, w) => w(localizeCommanderError(s, lang)),
    })
    .helpOption('-h, --help', t('display help for command'))
    .helpCommand('help [command]', t('display help for command'));
}
