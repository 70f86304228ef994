// What a running job sees: progress/metric/log reporting with ETA, and a
// cancellation flag checked between units of work.
import type { JobToHost } from './protocol'

export class JobCancelled extends Error {
  constructor() {
    super('cancelled')
  }
}

export class JobContext {
  private readonly startedAt = Date.now()
  private cancelled = false

  constructor(
    readonly runId: number,
    private readonly send: (msg: JobToHost) => void,
    readonly runDir = '',
    readonly dataDir = '',
  ) {}

  requestCancel(): void {
    this.cancelled = true
  }

  // Throws JobCancelled when the host asked to stop; call it between steps.
  checkpoint(): void {
    if (this.cancelled) throw new JobCancelled()
  }

  progress(fraction: number, message: string): void {
    const f = Math.min(1, Math.max(0, fraction))
    const elapsedSeconds = (Date.now() - this.startedAt) / 1000
    this.send({ type: 'progress', fraction: f, etaSeconds: estimateEta(elapsedSeconds, f), elapsedSeconds, message })
  }

  metric(key: string, step: number, value: number): void {
    this.send({ type: 'metric', key, step, value, wallTime: Date.now() / 1000 })
  }

  log(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.send({ type: 'log', level, message })
  }

  // A file or folder this run produced; the host records its size and sha256.
  artifact(kind: string, path: string): void {
    this.send({ type: 'artifact', kind, path })
  }
}

// Remaining seconds at the average rate so far; unknown until some work is done.
export function estimateEta(elapsedSeconds: number, fraction: number): number | null {
  if (fraction <= 0) return null
  if (fraction >= 1) return 0
  return (elapsedSeconds * (1 - fraction)) / fraction
}
