/**
 * A user name as typed at a login form. NFKC folds full-width letters and the
 * ideographic space (a Chinese keyboard's "ａｄｍｉｎ" or "\u3000admin") into
 * their plain forms before the trim, so every spelling of one account reaches
 * the same lookup and the same failure counter.
 */
export function normalizeUsername(typed: string): string {
  return typed.normalize('NFKC').trim();
}

/** The key that counts failed logins and compares names: normalised and case-folded (the users table compares without case). */
export function usernameKey(typed: string): string {
  return normalizeUsername(typed).toLowerCase();
}
