export * from './roles.ts';
export * from './permissions.ts';
export * from './cameras.ts';
export * from './password.ts';
export * from './username.ts';
export * from './password-policy.ts';
