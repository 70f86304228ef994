// Live job progress bars with ETA, shown on every page.
import { api } from '../lib/api'
import { ProgressBar } from '../shared/components/ProgressBar'
import { useAppStore } from './store'

export function JobsPanel() {
  const jobs = useAppStore((s) => s.jobs)
  const list = Object.values(jobs)
  if (!list.length) return null
  return (
    <aside className="jobs-panel" aria-label="Running jobs">
      {list.map((j) => (
        <div className="job" key={j.runId} data-job-run={j.runId}>
          <div className="job-title">
            {j.label} <span className="muted">{j.message}</span>
            {j.status === 'running' && (
              <button className="small" onClick={() => void api.call('jobs.cancel', { runId: j.runId })}>
                Cancel
              </button>
            )}
          </div>
          <ProgressBar fraction={j.fraction} etaSeconds={j.etaSeconds} status={j.status} label={j.label} />
        </div>
      ))}
    </aside>
  )
}
