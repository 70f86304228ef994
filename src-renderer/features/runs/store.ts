// Runs page state: the query (filter expression, search, archived, extra
// columns; remembered), the run list, the checked runs for compare/archive/
// delete, the selected run and its metric series.
import { create } from 'zustand'
import type { MetricPoint, MetricSeries, RunDetail, RunSummary } from '../../../src-main/contract/types'
import { api } from '../../lib/api'

const COLUMNS_KEY = 'tbw.runs.columns'

interface RunsState {
  runs: RunSummary[]
  loading: boolean
  error: string | null
  filter: string
  search: string
  archived: 'exclude' | 'include' | 'only'
  columns: string[]
  checked: number[]
  selectedId: number | null
  detail: RunDetail | null
  series: MetricSeries[]
  setQuery(q: Partial<Pick<RunsState, 'filter' | 'search' | 'archived' | 'columns'>>): void
  refresh(): Promise<void>
  select(id: number | null): Promise<void>
  toggle(id: number, on: boolean): void
  patchRun(id: number, patch: Partial<RunSummary>): void
  appendPoint(runId: number, key: string, point: MetricPoint): void
}

// Until the user chooses: the model, dataset, method and key metric of a fine-tune.
const DEFAULT_COLUMNS = ['params.model', 'params.task', 'params.method', 'metrics.eval/accuracy']

const storedColumns = (): string[] => {
  try {
    return JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') ?? DEFAULT_COLUMNS
  } catch {
    return DEFAULT_COLUMNS
  }
}

export const useRunsStore = create<RunsState>((set, get) => ({
  runs: [],
  loading: false,
  error: null,
  filter: '',
  search: '',
  archived: 'exclude',
  columns: storedColumns(),
  checked: [],
  selectedId: null,
  detail: null,
  series: [],
  setQuery(q) {
    if (q.columns) localStorage.setItem(COLUMNS_KEY, JSON.stringify(q.columns))
    set(q)
    void get().refresh()
  },
  async refresh() {
    set({ loading: true })
    const { filter, search, archived, columns } = get()
    try {
      const runs = await api.call('runs.list', { limit: 10_000, filter: filter || undefined, search: search || undefined, archived, columns: columns.length ? columns : undefined })
      set({ runs, loading: false, error: null, checked: get().checked.filter((id) => runs.some((r) => r.id === id)) })
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
  toggle(id, on) {
    set((s) => ({ checked: on ? [...new Set([...s.checked, id])] : s.checked.filter((x) => x !== id) }))
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
