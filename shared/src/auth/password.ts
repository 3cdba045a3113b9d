/**
 * Account passwords (edge users, and the same hashes on the cloud, which
 * receives them through users sync and checks phone logins with them). The
 * format is the platform's one, shared with the cloud's edge secrets.
 */
export { DUMMY_PASSWORD_HASH, SECRET_COST, hashPassword, hashPasswordSync, needsRehash, verifyPassword, type ScryptCost } from '../platform/password.ts';
