/**
 * Times as the village lives them: the box's zone (China, UTC+8, no daylight
 * saving), whatever zone the phone is set to, in the app's language.
 */
import { lang } from './text.ts';

export const VILLAGE_TIME_ZONE = 'Asia/Shanghai';

export const when = (ms: number): string => new Date(ms).toLocaleString(lang.value, { dateStyle: 'medium', timeStyle: 'short', timeZone: VILLAGE_TIME_ZONE });

/** Today's date in the village, YYYY-MM-DD. */
export const villageToday = (now = Date.now()): string => new Intl.DateTimeFormat('en-CA', { timeZone: VILLAGE_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
