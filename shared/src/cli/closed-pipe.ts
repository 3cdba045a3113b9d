/**
 * `cunbox … | head` closes our stdout early: the next write fails with EPIPE.
 * That is the reader saying "enough", not an error of ours, so the process
 * ends quietly with its status instead of dumping a stack trace.
 */
export function endQuietlyOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
}
