/** Every exit status `cunbox-cloud` can end with, for its `--help` and the README (the edge's numbering: sysexits). */
export const CLOUD_EXIT_CODES: ReadonlyArray<readonly [number, string]> = [
  [0, 'success'],
  [64, 'bad input: a wrong option or value'],
  [66, 'not found: no such village'],
  [69, 'unavailable: the cloud is not running or cannot be reached'],
  [70, 'internal error'],
  [77, 'permission denied: the cloud refused the operator token'],
  [78, 'bad config file, or no way to find the cloud'],
];
