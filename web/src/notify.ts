import { ElMessage } from 'element-plus';

/** Shows an API or network failure; pages never swallow an error silently. */
export function showError(e: unknown): void {
  void ElMessage({ type: 'error', message: e instanceof Error ? e.message : String(e), showClose: true });
}

export function showDone(message: string): void {
  void ElMessage({ type: 'success', message });
}

/** Runs one call of a page: a failure is shown (and gives undefined), a success optionally announced. */
export async function attempt<T>(call: () => Promise<T>, done?: string): Promise<T | undefined> {
  try {
    const result = await call();
    if (done) showDone(done);
    return result;
  } catch (e) {
    showError(e);
    return undefined;
  }
}
