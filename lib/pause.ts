import { setTimeout as sleep } from 'node:timers/promises';

/** Waits ms, or less when signal fires: a loop that waits between tries and must stop at once. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
}
