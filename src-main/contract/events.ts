// Every event the services push to clients (job progress, metrics, status).
import type { HubProgress, RunStatus } from './types'

export interface EventMap {
  'job.progress': { runId: number; fraction: number; etaSeconds: number | null; elapsedSeconds: number; message: string }
  'job.metric': { runId: number; key: string; step: number; value: number | null; wallTime: number }
  'job.status': { runId: number; status: RunStatus; error: string | null }
  'job.log': { runId: number; level: 'info' | 'warn' | 'error'; message: string }
  'runs.changed': { runId: number }
  'hub.progress': HubProgress
}

export type EventName = keyof EventMap
export type AppEvent = { [N in EventName]: { name: N; payload: EventMap[N] } }[EventName]

export const EVENT_NAMES: EventName[] = ['job.progress', 'job.metric', 'job.status', 'job.log', 'runs.changed', 'hub.progress']
