import { usernameKey } from './username.ts';

/**
 * What a new password must be (edge accounts; the cloud checks the same
 * hashes). A length, at least three of four kinds of character, not the
 * account's name and not one of the passwords every guessing list starts
 * with. Existing passwords are not re-checked: the rule applies when one is set.
 */
export const PASSWORD_POLICY = { minLength: 8, maxLength: 256, minClasses: 3 } as const;

/** Lower-cased; compared with the lower-cased password. Short on purpose: the length and class rules already rule out most lists. */
const COMMON = new Set([
  'password', 'password1', 'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'p@55w0rd', 'pa$$w0rd', 'qwerty123', 'qwer1234', 'qwe123!@#',
  '1qaz2wsx', '1qaz@wsx', '1q2w3e4r', '1q2w3e4r5t', 'zaq12wsx', 'abc12345', 'abcd1234', 'abc@1234', 'abc123456', 'aa123456', 'a1234567',
  'admin123', 'admin@123', 'admin1234', 'administrator1', 'root1234', 'test1234', 'welcome1', 'welcome123', 'iloveyou1', 'woaini1314',
  'letmein1', 'changeme1', 'huawei@123', 'huawei123', 'hik12345', 'hikvision1', 'dahua123', 'admin12345', 'cunbox123', 'cunbox-demo',
]);

function classes(pw: string): number {
  let lower = 0, upper = 0, digit = 0, other = 0;
  for (const ch of pw) {
    if (/\p{Ll}/u.test(ch)) lower = 1;
    else if (/\p{Lu}/u.test(ch)) upper = 1;
    else if (/\p{Nd}/u.test(ch)) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

/**
 * Why a password may not be set, or [] when it may. Messages are English; the
 * CLI and the dashboard show them as they are (each starts with "password:").
 */
export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_POLICY.minLength) problems.push(`password: at least ${PASSWORD_POLICY.minLength} characters`);
  if (length > PASSWORD_POLICY.maxLength) problems.push(`password: at most ${PASSWORD_POLICY.maxLength} characters`);
  if (classes(password) < PASSWORD_POLICY.minClasses) problems.push(`password: at least ${PASSWORD_POLICY.minClasses} of lower-case letters, upper-case letters, digits and other characters`);
  const name = usernameKey(username);
  const pw = password.normalize('NFKC').toLowerCase();
  if (name.length > 0 && (pw === name || (name.length >= 3 && pw.includes(name)))) problems.push('password: must not contain the user name');
  if (COMMON.has(pw)) problems.push('password: too common');
  return problems;
}
