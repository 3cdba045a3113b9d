/**
 * doctor names the program that holds a port by its executable, not by the main thread's
 * name, which a program can change (Node 24 calls its main thread "MainThread").
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { listenerOf } from '../src/doctor/ports.ts';

t.test('a listener that renamed its main thread is still named by its program', async (t) => {
  // process.title sets the main thread's name (/proc/<pid>/comm) on Linux.
  const child = spawn(process.execPath, ['-e', `
    process.title = 'renamed-thread';
    require('node:net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port); });
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
  });

  t.equal(listenerOf(port)?.pid, child.pid);
  t.equal(listenerOf(port)?.program, basename(process.execPath), 'named by its executable');
});
