import { randomBytes } from 'node:crypto';
import { KIOSK_ROLE } from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { DAY_MS, type Credentials, type TokenInfo } from '../api/auth.ts';
import type { CameraAccess } from '../playback/access.ts';
import type { User, UserStore } from './users.ts';

export interface KioskInfo {
  id: number;
  username: string;
  displayName: string | null;
  disabled: boolean;
  createdAt: number;
  /** The cameras its wall shows; null: every camera. */
  cameras: number[] | null;
  /** Its tokens (never the secrets), revoked ones included. */
  tokens: TokenInfo[];
}

/**
 * Office screens as accounts of role `kiosk`: each holds API tokens (the screen
 * trades one for a cookie, see routes/kiosks.ts) and no usable password (a
 * random one nobody sees). The role reads the screen's aggregates and the
 * camera wall only. Used by the API and the CLI alike; both audit.
 */
export class KioskAccounts {
  readonly #users: UserStore;
  readonly #credentials: Credentials;
  readonly #access: CameraAccess;

  constructor(deps: { users: UserStore; credentials: Credentials; access: CameraAccess }) {
    this.#users = deps.users;
    this.#credentials = deps.credentials;
    this.#access = deps.access;
  }

  async create(input: { username: string; displayName?: string | null; expiresInDays?: number; cameras?: number[] | null }, cameraExists: (id: number) => boolean): Promise<{ kiosk: KioskInfo; token: string; tokenId: number; expiresAt: number }> {
    // Checked before the account exists, so a typo leaves nothing behind (setRestriction checks again).
    const unknown = (input.cameras ?? []).filter((id) => !cameraExists(id));
    if (unknown.length > 0) throw new CunboxError('INVALID_INPUT', `cameras: no camera ${unknown.join(', ')}`);
    // Upper, lower, digit and symbol: any password policy passes; nobody ever types it.
    const unusable = `Kk9-${randomBytes(24).toString('base64url')}`;
    const user = await this.#users.create({ username: input.username, password: unusable, role: KIOSK_ROLE, displayName: input.displayName ?? null });
    if (input.cameras) this.#access.setRestriction(user.id, input.cameras, cameraExists);
    const t = this.#credentials.createToken(user.id, 'screen', input.expiresInDays === undefined ? undefined : input.expiresInDays * DAY_MS);
    return { kiosk: this.#info(user), token: t.token, tokenId: t.id, expiresAt: t.expiresAt };
  }

  /** A new token for an existing screen (the old ones stay valid until revoked). */
  newToken(id: number, expiresInDays?: number): { token: string; tokenId: number; expiresAt: number } {
    const user = this.#require(id);
    if (user.disabled) throw new CunboxError('CONFLICT', `screen ${user.username} is revoked`);
    const t = this.#credentials.createToken(user.id, 'screen', expiresInDays === undefined ? undefined : expiresInDays * DAY_MS);
    return { token: t.token, tokenId: t.id, expiresAt: t.expiresAt };
  }

  list(): KioskInfo[] {
    return this.#users
      .list()
      .filter((u) => u.role === KIOSK_ROLE)
      .map((u) => this.#info(u));
  }

  get(id: number): KioskInfo {
    return this.#info(this.#require(id));
  }

  byUsername(username: string): KioskInfo {
    const u = this.#users.getByUsername(username);
    if (!u || u.role !== KIOSK_ROLE) throw new CunboxError('NOT_FOUND', `no screen ${username}`);
    return this.#info(u);
  }

  /** Revokes every token and disables the account: the screen goes dark at its next request. */
  revoke(id: number): { tokens: number; sessions: number } {
    const user = this.#require(id);
    const ended = this.#credentials.endAllOf(user.id);
    this.#users.setDisabled(user.id, true);
    return ended;
  }

  #require(id: number): User {
    const u = this.#users.get(id);
    if (!u || u.role !== KIOSK_ROLE) throw new CunboxError('NOT_FOUND', `no screen ${id}`);
    return u;
  }

  #info(u: User): KioskInfo {
    return {
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      disabled: u.disabled,
      createdAt: u.createdAt,
      cameras: this.#access.restriction(u.id),
      tokens: this.#credentials.listTokens(u.id),
    };
  }
}
