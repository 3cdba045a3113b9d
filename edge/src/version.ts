import pkg from '../package.json' with { type: 'json' };

/** The edge's release, as packaged. */
export const CUNBOX_VERSION: string = pkg.version;
