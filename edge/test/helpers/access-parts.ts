import type { Db } from '../../src/db/database.ts';
import type { Clock } from '../../src/clock.ts';
import type { UserStore } from '../../src/auth/users.ts';
import { Credentials, type CredentialLimits } from '../../src/api/auth.ts';
import { LoginLockout, type LockoutLimits } from '../../src/auth/lockout.ts';
import { KioskAccounts } from '../../src/auth/kiosks.ts';
import { CameraAccess } from '../../src/playback/access.ts';

/** The API's sign-in and access services over one database, as the edge builds them for its HTTP API. */
export function accessParts(deps: { db: Db; clock: Clock; users: UserStore; credentialLimits?: Partial<CredentialLimits>; loginLimits?: Partial<LockoutLimits> }) {
  const { db, clock, users } = deps;
  const credentials = new Credentials({ db, clock, limits: deps.credentialLimits });
  const cameraAccess = new CameraAccess(db);
  return {
    credentials,
    lockout: new LoginLockout({ db, clock, limits: deps.loginLimits }),
    cameraAccess,
    kiosks: new KioskAccounts({ users, credentials, access: cameraAccess }),
  };
}
