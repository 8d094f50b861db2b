import type { SessionStatusEvent } from '@wafleet/session';

/** Anything that emits session status events (a Baileys runner or a Cloud API session). */
interface StatusSource {
  on(event: 'status', listener: (e: SessionStatusEvent) => void): unknown;
  off(event: 'status', listener: (e: SessionStatusEvent) => void): unknown;
}

/**
 * Calls `listener` whenever `isOpen()` flips, judged on each status event; returns the
 * unsubscribe function. The shared part of every transport's `onOpenChange`.
 */
export function watchOpen(
  source: StatusSource,
  isOpen: () => boolean,
  listener: (open: boolean) => void,
): () => void {
  let last = isOpen();
  const onStatus = () => {
    const now = isOpen();
    if (now !== last) {
      last = now;
      listener(now);
    }
  };
  source.on('status', onStatus);
  return () => source.off('status', onStatus);
}
