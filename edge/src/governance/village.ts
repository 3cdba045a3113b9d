/**
 * Who this box speaks for: printed on certificates as their issuer, and the
 * public address where a certificate's code can be checked. It comes from the
 * config file (`village:`), because nothing else on the box knows it.
 */
export interface VillageIdentity {
  /** e.g. 匡村 */
  name: string;
  /** e.g. 匡村村民委员会 (the config's default: the name + 村民委员会). */
  issuer: string;
  /** Where people outside reach this box's API (a proxy or tunnel to it), without a trailing slash. */
  verifyBaseUrl: string;
  /** Printed at the foot of a certificate when set. */
  address: string | null;
  phone: string | null;
}

/** The public check of a certificate's code, printed on the certificate. */
export function verificationUrl(village: VillageIdentity, code: string): string {
  return `${village.verifyBaseUrl}/api/public/certificates/${code}`;
}
