import { createI18n } from 'vue-i18n';
import zhCN from './zh-CN.ts';
import en from './en.ts';

export type Locale = 'zh-CN' | 'en';
const KEY = 'cunbox.locale';

function saved(): Locale {
  try {
    return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export const i18n = createI18n({ legacy: false, locale: saved(), fallbackLocale: 'zh-CN', messages: { 'zh-CN': zhCN, en } });

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
