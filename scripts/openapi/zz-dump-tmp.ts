import { writeFileSync } from 'node:fs';
import { startCloud, startEdge } from './servers.ts';
const main = async () => {
  for (const [name, start] of [['edge', startEdge], ['cloud', startCloud]] as const) {
    const s = await start();
    writeFileSync(`/tmp/${name}-openapi.json`, JSON.stringify(s.doc, null, 1));
    await s.stop();
  }
};
void main();
