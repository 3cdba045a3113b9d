#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, like edge/bin/cunbox.js.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli.ts');
process.exitCode = await run(process.argv.slice(2));
