import t from 'tap';
import { syncSuite } from './helpers/sync-suite.ts';
import { aedesRig } from './helpers/brokers.ts';
import { tmpDir } from '../../edge/test/helpers/tmp.ts';

syncSuite(t, aedesRig, tmpDir(t, 'cunbox-sync-aedes-'));
