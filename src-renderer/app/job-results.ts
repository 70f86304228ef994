// Finished jobs' summaries by run id, for pages that start a job and show its result
// (Quantize, Export, Benchmarks): events.ts records each end and fetches the summary.
import { create } from 'zustand'
import type { RunStatus } from '../../src-main/contract/types'
import { api } from '../lib/api'

export interface JobResult {
  status: RunStatus
  error: string | null
  summary: Record<string, unknown> | null
}

interface JobResultsState {
  results: Record<number, JobResult>
  onStatus(runId: number, status: RunStatus, error: string | null): void
  load(runId: number): Promise<void>
}

export const useJobResults = create<JobResultsState>((set, get) => ({
  results: {},
  onStatus(runId, status, error) {
    set((s) => ({ results: { ...s.results, [runId]: { status, error, summary: s.results[runId]?.summary ?? null } } }))
    if (status === 'completed') void get().load(runId)
  },
  async load(runId) {
    const run = await api.call('runs.get', { id: runId })
    set((s) => ({ results: { ...s.results, [runId]: { status: run.status, error: run.error ?? null, summary: run.summary } } }))
  },
}))
