/** The edge's tests and the cloud's drive the same fake clock. */
export { fakeClock } from '../../../shared/test/helpers/fake-clock.ts';
