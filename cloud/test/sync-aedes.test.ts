import t from 'tap';
import { syncSuite } from './helpers/sync-suite.ts';
import { aedesRig } from '@cunbox/test-support/brokers';
import { tmpDir } from '@cunbox/test-support/tmp';

syncSuite(t, aedesRig, tmpDir(t, 'cunbox-sync-aedes-'));
