import { ElMessage } from 'element-plus';

/** Shows an API or network failure; pages never swallow an error silently. */
export function showError(e: unknown): void {
  void ElMessage({ type: 'error', message: e instanceof Error ? e.message : String(e), showClose: true });
}

export function showDone(message: string): void {
  void ElMessage({ type: 'success', message });
}
