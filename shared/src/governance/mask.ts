/**
 * How sensitive identifiers look to people who may not see them in full
 * (the forms used by Chinese government systems).
 */

/** 110101199003071234 → 110101********1234 */
export function maskIdNumber(id: string | null): string | null {
  if (id === null) return null;
  if (id.length <= 10) return '*'.repeat(id.length);
  return id.slice(0, 6) + '*'.repeat(id.length - 10) + id.slice(-4);
}

/** 13812345678 → 138****5678 */
export function maskPhone(phone: string | null): string | null {
  if (phone === null) return null;
  if (phone.length <= 7) return '*'.repeat(phone.length);
  return phone.slice(0, 3) + '*'.repeat(phone.length - 7) + phone.slice(-4);
}

/** 张三丰 → 张*丰, 张三 → 张*: for public pages (certificate verification). */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return name;
  if (chars.length === 2) return `${chars[0]}*`;
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** Mainland resident ID: 17 digits and a check character (digit or X). */
export const ID_NUMBER_PATTERN = '^\\d{17}[\\dX]$';
/** Mainland mobile or landline digits. */
export const PHONE_PATTERN = '^\\+?\\d{7,15}$';
