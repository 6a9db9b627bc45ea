/**
 * Composes stages `(ctx, next)` into one handler, outermost first. A stage that refuses sets
 * `ctx.denial` and returns without calling `next`. Calling `next` twice is a programming error and
 * is refused, so that no stage can run the rest of the chain (or the upstream call) twice.
 */
import type { CallContext } from './context.js';

export type Next = () => Promise<void>;
export type Stage = (ctx: CallContext, next: Next) => Promise<void>;

export function compose(stages: readonly Stage[]): (ctx: CallContext) => Promise<void> {
  const chain = [...stages];
  return function run(ctx) {
    let reached = -1;
    const dispatch = (index: number): Promise<void> => {
      if (index <= reached) return Promise.reject(new Error(`next() called twice in stage ${chain[index - 1]?.name || index - 1}`));
      reached = index;
      const stage = chain[index];
      if (!stage) return Promise.resolve();
      try {
        return stage(ctx, () => dispatch(index + 1));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
