// Process entry for the bundled CLI (edge/dist/cunbox.mjs).
import { endQuietlyOnClosedPipe } from './closed-pipe.ts';
import { run } from './main.ts';
import { finishProcess } from './interrupt.ts';

endQuietlyOnClosedPipe();
finishProcess(await run(process.argv.slice(2)));
