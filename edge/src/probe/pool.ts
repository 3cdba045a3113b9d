/**
 * Runs `fn` over `items` with at most `limit` at a time, in input order of
 * results. `fn` must not throw for one item's failure to be reported per item:
 * callers return a result object instead, so 63 good cameras are not lost to
 * the 64th.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
