/** Password hashing lives in shared/: the cloud checks phone logins against the hashes synced from here. */
export { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword, type ScryptCost } from '@cunbox/shared';
