import t from 'tap';
import { syncSuite } from './helpers/sync-suite.ts';
import { mosquittoRig } from '@cunbox/test-support/brokers';
import { tmpDir } from '@cunbox/test-support/tmp';

syncSuite(t, mosquittoRig, tmpDir(t, 'cunbox-sync-mosquitto-'));
