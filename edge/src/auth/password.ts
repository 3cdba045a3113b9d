/** Password hashing lives in shared/: the cloud checks phone logins against the hashes synced from here. */
export { hashPassword, verifyPassword } from '@cunbox/shared';
