/**
 * A transition table maps an event name to the states it may leave from and the state it enters.
 * Both state machines (task and step) are tables of this shape; the same rows are seeded into
 * PostgreSQL by migration so the database refuses what the domain refuses.
 */
export interface TransitionRule<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
}

export type TransitionTable<E extends string, S extends string> = Readonly<Record<E, TransitionRule<S>>>;

export type TransitionOutcome<S extends string> =
  | { readonly ok: true; readonly from: S; readonly to: S }
  | { readonly ok: false; readonly from: S; readonly reason: string };

export function transition<E extends string, S extends string>(
  table: TransitionTable<E, S>,
  from: S,
  event: E,
): TransitionOutcome<S> {
  const rule = table[event];
  if (rule.from.includes(from)) return { ok: true, from, to: rule.to };
  return { ok: false, from, reason: `event '${event}' is not allowed from state '${from}'` };
}

/** Every (from, to) pair a table allows: what the database's allowed-transition table must hold. */
export function allowedPairs<E extends string, S extends string>(table: TransitionTable<E, S>): Array<[S, S, E]> {
  const pairs: Array<[S, S, E]> = [];
  for (const [event, rule] of Object.entries(table) as Array<[E, TransitionRule<S>]>) {
    for (const from of rule.from) pairs.push([from, rule.to, event]);
  }
  return pairs;
}

/**
 * The shortest sequence of events that walks from `from` to `to` (breadth first, events in the
 * table's order), or null when `to` cannot be reached. Empty when `from` is `to`. With `through`,
 * only the states it accepts are walked through (`from` and `to` need not be).
 *
 * @example shortestPath(TASK_TRANSITIONS, 'steps_in_process', 'complete') // ['evaluate_results', 'complete']
 */
export function shortestPath<E extends string, S extends string>(
  table: TransitionTable<E, S>,
  from: S,
  to: S,
  through: (state: S) => boolean = () => true,
): E[] | null {
  const paths = new Map<S, E[]>([[from, []]]);
  const queue: S[] = [from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    if (state === to) return paths.get(state)!;
    if (state !== from && !through(state)) continue;
    for (const [event, rule] of Object.entries(table) as Array<[E, TransitionRule<S>]>) {
      if (!rule.from.includes(state) || paths.has(rule.to)) continue;
      paths.set(rule.to, [...paths.get(state)!, event]);
      queue.push(rule.to);
    }
  }
  return null;
}
