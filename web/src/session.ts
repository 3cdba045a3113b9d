// Who is signed in, and what the box told us before login (its zone, its village).
import { reactive } from 'vue';
import { allows, type Permission } from '../../shared/src/auth/permissions.ts';
import { api, type User, type WebSettings } from './api/endpoints.ts';
import { ApiError } from './api/errors.ts';

export const session = reactive<{ user: User | null; settings: WebSettings; checked: boolean }>({
  user: null,
  settings: { timeZone: 'Asia/Shanghai', village: null },
  checked: false,
});

// The session cookie is httpOnly: the page cannot see it. This hint says a login
// happened in this browser, so a first visit does not ask /api/auth/me just to be
// told 401 (which the browser would also log as an error).
const HINT = 'cunbox.signedIn';
function hint(on?: boolean): boolean {
  try {
    if (on === true) localStorage.setItem(HINT, '1');
    if (on === false) localStorage.removeItem(HINT);
    return localStorage.getItem(HINT) === '1';
  } catch {
    return true;
  }
}

/** Asks the edge once per page load whether the session cookie is still good. */
export async function loadSession(): Promise<void> {
  if (session.checked) return;
  const [settings, me] = await Promise.allSettled([api.settings(), hint() ? api.me() : Promise.resolve(null)]);
  if (settings.status === 'fulfilled') session.settings = settings.value;
  if (me.status === 'fulfilled') setUser(me.value?.user ?? null);
  else if (me.reason instanceof ApiError && me.reason.status === 401) setUser(null);
  else throw me.reason;
  session.checked = true;
}

export function setUser(user: User | null): void {
  session.user = user;
  hint(user !== null);
}

/** No permission named: any signed-in account. */
export function can(permission?: Permission): boolean {
  return session.user !== null && (permission === undefined || allows(session.user.role, permission));
}
