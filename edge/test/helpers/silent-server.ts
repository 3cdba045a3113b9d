import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Test } from 'tap';

/**
 * A TCP server on loopback that accepts and never answers: a camera that hangs.
 * `held` are the connections it took (closed when the test ends).
 */
export async function silentServer(t: Test): Promise<{ port: number; held: Socket[] }> {
  const held: Socket[] = [];
  const server = createServer((s) => void held.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of held) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, held };
}
