// Runs page state: the run list, the selected run and its metric series.
import { create } from 'zustand'
import type { MetricPoint, MetricSeries, RunDetail, RunSummary } from '../../../src-main/contract/types'
import { api } from '../../lib/api'

interface RunsState {
  runs: RunSummary[]
  loading: boolean
  error: string | null
  selectedId: number | null
  detail: RunDetail | null
  series: MetricSeries[]
  refresh(): Promise<void>
  select(id: number | null): Promise<void>
  patchRun(id: number, patch: Partial<RunSummary>): void
  appendPoint(runId: number, key: string, point: MetricPoint): void
}

export const useRunsStore = create<RunsState>((set, get) => ({
  runs: [],
  loading: false,
  error: null,
  selectedId: null,
  detail: null,
  series: [],
  async refresh() {
    set({ loading: true })
    try {
      const runs = await api.call('runs.list', { limit: 500 })
      set({ runs, loading: false, error: null })
      const id = get().selectedId
      if (id !== null) set({ detail: await api.call('runs.get', { id }) })
    } catch (err) {
      set({ loading: false, error: (err as Error).message })
    }
  },
  async select(id) {
    set({ selectedId: id, detail: null, series: [] })
    if (id === null) return
    try {
      const [detail, series] = await Promise.all([api.call('runs.get', { id }), api.call('runs.metrics', { runId: id })])
      if (get().selectedId === id) set({ detail, series })
    } catch (err) {
      set({ error: (err as Error).message })
    }
  },
  patchRun(id, patch) {
    set((s) => ({ runs: s.runs.map((r) => (r.id === id ? { ...r, ...patch } : r)) }))
  },
  appendPoint(runId, key, point) {
    if (get().selectedId !== runId) return
    set((s) => {
      const existing = s.series.find((x) => x.key === key)
      if (!existing) return { series: [...s.series, { key, points: [point] }].sort((a, b) => a.key.localeCompare(b.key)) }
      return { series: s.series.map((x) => (x.key === key ? { key, points: [...x.points, point] } : x)) }
    })
  },
}))
