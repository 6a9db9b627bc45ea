/** The three decisions, and which one wins when several apply: deny over ask over allow. */
export type PolicyVerdict = 'allow' | 'ask' | 'deny';

const PRECEDENCE: Readonly<Record<PolicyVerdict, number>> = { allow: 0, ask: 1, deny: 2 };

/** Whether `candidate` outranks `current`. */
export function outranks(candidate: PolicyVerdict, current: PolicyVerdict): boolean {
  return PRECEDENCE[candidate] > PRECEDENCE[current];
}
