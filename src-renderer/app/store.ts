// App-wide state: the current page, engine capabilities, live jobs.
// Job events update it from outside React (see app/events.ts).
import { create } from 'zustand'
import type { SystemInfo } from '../../src-main/contract/types'
import type { PageId } from './pages'
import { PAGES } from './pages'

export interface LiveJob {
  runId: number
  label: string
  fraction: number
  etaSeconds: number | null
  message: string
  status: string
}

interface AppState {
  page: PageId
  system: SystemInfo | null
  systemError: string | null
  jobs: Record<number, LiveJob>
  traceToOpen: number | null // a trace-import run the Traces page should show
  benchToOpen: number | null // a bench run the Benchmarks page should show
  goTo(page: PageId): void
  openTrace(runId: number): void
  openBench(runId: number): void
  setSystem(info: SystemInfo | null, error?: string): void
  upsertJob(runId: number, patch: Partial<LiveJob>): void
  dropJob(runId: number): void
}

function newJob(runId: number): LiveJob {
  return { runId, label: `Run ${runId}`, fraction: 0, etaSeconds: null, message: '', status: 'running' }
}

function pageFromHash(): PageId {
  const id = location.hash.replace(/^#\/?/, '')
  return PAGES.some((p) => p.id === id) ? (id as PageId) : 'home'
}

export const useAppStore = create<AppState>((set) => ({
  page: pageFromHash(),
  system: null,
  systemError: null,
  jobs: {},
  traceToOpen: null,
  benchToOpen: null,
  openTrace: (runId) => {
    set({ traceToOpen: runId })
    useAppStore.getState().goTo('traces')
  },
  openBench: (runId) => {
    set({ benchToOpen: runId })
    useAppStore.getState().goTo('benchmarks')
  },
  goTo: (page) => {
    history.replaceState(null, '', `${location.pathname}${location.search}#/${page}`)
    set({ page })
  },
  setSystem: (system, error) => set({ system, systemError: error ?? null }),
  upsertJob: (runId, patch) =>
    set((s) => ({
      jobs: {
        ...s.jobs,
        [runId]: { ...(s.jobs[runId] ?? newJob(runId)), ...patch },
      },
    })),
  dropJob: (runId) =>
    set((s) => {
      const jobs = { ...s.jobs }
      delete jobs[runId]
      return { jobs }
    }),
}))
