// The cloud's CLI ends the same way: shared.
export { endQuietlyOnClosedPipe } from '@cunbox/shared/cli';
