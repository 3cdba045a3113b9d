import { createI18n } from 'vue-i18n';
import zhCN from './zh-CN.ts';
import en from './en.ts';
import { enMenu, zhMenu } from './menu-texts.ts';

export type Locale = 'zh-CN' | 'en';
const KEY = 'cunbox.locale';

function saved(): Locale {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

type Section = Record<string, unknown>;
/** Adds `more`'s sections to `base`'s, key by key (both have a `menu`). */
function merged<T extends Record<string, Section>>(base: T, more: Record<string, Section>): T {
  const out: Record<string, Section> = { ...base };
  for (const [k, v] of Object.entries(more)) out[k] = { ...base[k], ...v };
  return out as T;
}

export const i18n = createI18n({ legacy: false, locale: saved(), fallbackLocale: 'zh-CN', messages: { 'zh-CN': merged(zhCN, zhMenu), en: merged(en, enMenu) } });

let workbenchTexts: Promise<void> | undefined;
/** The workbench pages' texts, fetched once with the first of those pages. */
export function loadWorkbenchTexts(): Promise<void> {
  workbenchTexts ??= import('./workbench.ts').then(({ zhWorkbench, enWorkbench }) => {
    for (const [locale, more] of [['zh-CN', zhWorkbench], ['en', enWorkbench]] as const) i18n.global.mergeLocaleMessage(locale, more);
  });
  return workbenchTexts;
}

/** Switches the language and remembers it in this browser. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
  try {
    localStorage.setItem(KEY, locale);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}
