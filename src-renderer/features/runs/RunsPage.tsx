// The run history, live from the database, and the selected run's charts.
import { useEffect } from 'react'
import { formatDuration, formatTime } from '../../lib/format'
import { ProgressBar } from '../../shared/components/ProgressBar'
import { MetricChart } from '../../shared/charts/MetricChart'
import { useRunsStore } from './store'

const RUNS_POLL_MS = 5000
const COLORS = ['#4ea1ff', '#f5a524', '#3ccf91', '#e5484d', '#a78bfa', '#22d3ee']

export function RunsPage() {
  const runs = useRunsStore((s) => s.runs)
  const error = useRunsStore((s) => s.error)
  const selectedId = useRunsStore((s) => s.selectedId)
  const refresh = useRunsStore((s) => s.refresh)
  const select = useRunsStore((s) => s.select)

  // Live from the database: our own jobs push events; runs written by another
  // process sharing the data directory (the CLI, a second app) appear by polling.
  useEffect(() => {
    void refresh()
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh()
    }, RUNS_POLL_MS)
    return () => clearInterval(timer)
  }, [refresh])

  return (
    <section className="page runs-page">
      <header className="page-header">
        <h1>Runs</h1>
        <button onClick={() => void refresh()}>Refresh</button>
      </header>
      {error && <p className="error">{error}</p>}
      {runs.length === 0 ? (
        <p className="muted">No runs yet. Start the engine self-test from Home, or run <code>tbw selftest</code>.</p>
      ) : (
        <table className="runs-table">
          <thead>
            <tr>
              <th>ID</th>
              <th>Name</th>
              <th>Kind</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Duration</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr
                key={r.id}
                data-run-id={r.id}
                className={r.id === selectedId ? 'selected' : ''}
                onClick={() => void select(r.id)}
              >
                <td>{r.id}</td>
                <td>{r.name}</td>
                <td>{r.kind}</td>
                <td>
                  <span className={`status status-${r.status}`}>{r.status}</span>
                </td>
                <td className="progress-cell">
                  {r.progress !== null && <ProgressBar fraction={r.progress} etaSeconds={r.etaSeconds} status={r.status} />}
                </td>
                <td>{formatDuration(r.startedAt, r.endedAt)}</td>
                <td>{formatTime(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selectedId !== null && <RunDetailPanel />}
    </section>
  )
}

function RunDetailPanel() {
  const detail = useRunsStore((s) => s.detail)
  const series = useRunsStore((s) => s.series)
  if (!detail) return <p className="muted">Loading run…</p>
  return (
    <div className="run-detail" data-testid="run-detail">
      <h2>
        Run {detail.id}: {detail.name}
      </h2>
      {detail.error && <p className="error">{detail.error}</p>}
      <dl className="params">
        {Object.entries(detail.params).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{JSON.stringify(v)}</dd>
          </div>
        ))}
      </dl>
      {series.length === 0 ? (
        <p className="muted">This run has no metrics yet.</p>
      ) : (
        <div className="charts">
          {series.map((s, i) => (
            <MetricChart key={s.key} title={s.key} points={s.points} color={COLORS[i % COLORS.length]} />
          ))}
        </div>
      )}
    </div>
  )
}
