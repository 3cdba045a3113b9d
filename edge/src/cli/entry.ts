// Process entry for the bundled CLI (edge/dist/cunbox.mjs).
import { run } from './main.ts';

process.exitCode = await run(process.argv.slice(2));
