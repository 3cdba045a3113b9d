#!/usr/bin/env node
// `cunbox-cloud`: runs the TypeScript sources directly through tsx.
import { register } from 'tsx/esm/api';

register();
const { endQuietlyOnClosedPipe } = await import('@cunbox/shared/cli');
endQuietlyOnClosedPipe();
const { run } = await import('../src/cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
