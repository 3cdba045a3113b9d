#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: the appliance ships the
// sources it was tested with, no separate build output to drift from them.
import { register } from 'tsx/esm/api';

register();
const { endQuietlyOnClosedPipe } = await import('../src/cli/closed-pipe.ts');
endQuietlyOnClosedPipe();
const { run } = await import('../src/cli/main.ts');
const { finishProcess } = await import('../src/cli/interrupt.ts');
finishProcess(await run(process.argv.slice(2)));
