// Process entry for the bundled CLI (edge/dist/cunbox.mjs).
import { endQuietlyOnClosedPipe } from './closed-pipe.ts';
import { run } from './main.ts';

endQuietlyOnClosedPipe();
process.exitCode = await run(process.argv.slice(2));
