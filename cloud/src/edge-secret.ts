/** An edge's password as the cloud stores it: the shared password format at the cost for machine secrets. */
import { SECRET_COST, hashPasswordSync } from '@cunbox/shared';

/** Only at pairing, after the one-time code was used up (inside its transaction): a caller cannot make us run it at will. */
export function hashEdgeSecret(secret: string): string {
  return hashPasswordSync(secret, SECRET_COST);
}
