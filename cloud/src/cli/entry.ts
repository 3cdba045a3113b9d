// Process entry for the bundled CLI (cloud/dist/cunbox-cloud.mjs), what the unit runs.
import { endQuietlyOnClosedPipe } from '@cunbox/shared/cli';
import { run } from './main.ts';

endQuietlyOnClosedPipe();
process.exitCode = await run(process.argv.slice(2));
