// Multi-objective sweeps: the Pareto front of trials over several metrics,
// each minimized or maximized (a trial is on the front when no other trial is
// at least as good on every objective and better on one).
export interface Objective {
  name: string
  goal: 'minimize' | 'maximize'
}

export function paretoFront<T extends { values: Record<string, number | null> }>(trials: T[], objectives: Objective[]): T[] {
  const scored = trials.filter((t) => objectives.every((o) => typeof t.values[o.name] === 'number'))
  const key = (t: T, o: Objective) => (o.goal === 'maximize' ? -1 : 1) * (t.values[o.name] as number)
  const dominates = (a: T, b: T) => objectives.every((o) => key(a, o) <= key(b, o)) && objectives.some((o) => key(a, o) < key(b, o))
  return scored.filter((t) => !scored.some((u) => u !== t && dominates(u, t)))
}

// Trials to run at once: half the cores (each trial gets the rest of its share as kernel threads),
// at most one per 2 GiB of free memory, at least one.
export function defaultParallelTrials(cores: number, freeBytes: number): number {
  return Math.max(1, Math.min(Math.floor(cores / 2), Math.floor(freeBytes / 2 ** 31)))
}
