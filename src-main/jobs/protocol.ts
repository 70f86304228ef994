// Messages between a host and a job process.
import type { JobSpec } from '../contract/commands'

// runDir: the run's own folder for its files; dataDir: the workbench data directory (caches).
export type HostToJob = { type: 'start'; runId: number; spec: JobSpec; runDir: string; dataDir: string } | { type: 'cancel' }

export type JobToHost =
  | { type: 'progress'; fraction: number; etaSeconds: number | null; elapsedSeconds: number; message: string }
  | { type: 'metric'; key: string; step: number; value: number; wallTime: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'artifact'; kind: string; path: string }
  | { type: 'done'; summary: Record<string, unknown> }
  | { type: 'failed'; error: string }
  | { type: 'cancelled' }
