/** The edge's tests and the cloud's drive the same fake clock. */
export { fakeClock } from '@cunbox/test-support/fake-clock';
