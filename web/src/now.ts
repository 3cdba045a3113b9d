import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

/** The current time, refreshed every `everyMs` while the component is shown (SLA countdowns). */
export function useNow(everyMs = 15_000): Ref<number> {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => (timer = setInterval(() => (now.value = Date.now()), everyMs)));
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
