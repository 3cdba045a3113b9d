/**
 * The permission table lives in shared/ (shared/src/auth/permissions.ts): the
 * cloud's phone API checks the same permission for the same action.
 */
export { PERMISSIONS, allows, type Permission, type RouteAccess } from '@cunbox/shared';
