import type { Db } from '../../edge/src/db/database.ts';
import type { Clock } from '../../edge/src/clock.ts';
import type { UserStore } from '../../edge/src/auth/users.ts';
import { Credentials, type CredentialLimits } from '../../edge/src/api/auth.ts';
import { LoginLockout, type LockoutLimits } from '../../edge/src/auth/lockout.ts';
import { KioskAccounts } from '../../edge/src/auth/kiosks.ts';
import { CameraAccess } from '../../edge/src/playback/access.ts';

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
