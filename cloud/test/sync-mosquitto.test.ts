import t from 'tap';
import { syncSuite } from './helpers/sync-suite.ts';
import { mosquittoRig } from './helpers/brokers.ts';
import { tmpDir } from '../../edge/test/helpers/tmp.ts';

syncSuite(t, mosquittoRig, tmpDir(t, 'cunbox-sync-mosquitto-'));
