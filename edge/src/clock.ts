/** The clock is one for the edge and the cloud: it lives in shared/. */
export { type Clock, systemClock, sleep, settlesWithin } from '@cunbox/shared';
