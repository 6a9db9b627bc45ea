/**
 * Deadlines and cancellation on the call path. One AbortController that follows other signals, for the per-request signals on the call path.
 * Node 20's AbortSignal.any keeps weak references and a finalization registry for every signal it
 * makes, which shows in the benchmark's profile; listeners removed when the request settles cost
 * nothing after it.
 */
export interface LinkedAbort {
  readonly controller: AbortController;
  readonly signal: AbortSignal;
  /** Stops following the source signals; call when the request has settled. */
  release(): void;
}

export function linkedAbort(sources: ReadonlyArray<AbortSignal | undefined>): LinkedAbort {
  const controller = new AbortController();
  const followed: Array<[AbortSignal, () => void]> = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener('abort', onAbort, { once: true });
    followed.push([source, onAbort]);
  }
  return {
    controller,
    signal: controller.signal,
    release: () => {
      for (const [source, onAbort] of followed) source.removeEventListener('abort', onAbort);
      followed.length = 0;
    },
  };
}

/** Rejects with `message` when the promise has not settled within `ms`; the timer never outlives it. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
