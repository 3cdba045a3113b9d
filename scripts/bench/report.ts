import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Prints a benchmark's result as JSON on stdout and, with a path, saves it there too. */
export function printAndSave(result: unknown, file: string | undefined): void {
  const text = JSON.stringify(result, null, 2);
  console.log(text);
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${text}\n`);
  process.stderr.write(`[bench] saved ${file}\n`);
}
