// Routes server events into the stores (setState from outside React).
import { api } from '../lib/api'
import { useFinetuneStore } from '../features/finetune/store'
import { useLibraryStore } from '../features/library/store'
import { useRunsStore } from '../features/runs/store'
import { useJobResults } from './job-results'
import { useAppStore } from './store'

// How long a finished job's bar stays visible.
const DONE_LINGER_MS = 4000

export function wireEvents(): () => void {
  return api.onEvent((e) => {
    const app = useAppStore.getState()
    const runs = useRunsStore.getState()
    switch (e.name) {
      case 'job.progress':
        app.upsertJob(e.payload.runId, {
          fraction: e.payload.fraction,
          etaSeconds: e.payload.etaSeconds,
          message: e.payload.message,
        })
        useFinetuneStore.getState().onProgress(e.payload.runId, e.payload.fraction, e.payload.etaSeconds, e.payload.message)
        runs.patchRun(e.payload.runId, {
          progress: e.payload.fraction,
          progressMessage: e.payload.message,
          etaSeconds: e.payload.etaSeconds,
        })
        break
      case 'job.metric':
        runs.appendPoint(e.payload.runId, e.payload.key, { step: e.payload.step, value: e.payload.value, wallTime: e.payload.wallTime })
        useFinetuneStore.getState().onMetric(e.payload.runId, e.payload.key, { step: e.payload.step, value: e.payload.value, wallTime: e.payload.wallTime })
        break
      case 'job.status':
        useFinetuneStore.getState().onStatus(e.payload.runId, e.payload.status, e.payload.error)
        useJobResults.getState().onStatus(e.payload.runId, e.payload.status, e.payload.error)
        if (e.payload.status === 'running') app.upsertJob(e.payload.runId, { status: 'running' })
        else {
          app.upsertJob(e.payload.runId, { status: e.payload.status, etaSeconds: 0 })
          setTimeout(() => useAppStore.getState().dropJob(e.payload.runId), DONE_LINGER_MS)
        }
        void runs.refresh()
        break
      case 'runs.changed':
        void runs.refresh()
        break
      case 'hub.progress':
        useLibraryStore.getState().onPullProgress(e.payload)
        break
      case 'job.log':
        break
    }
  })
}
