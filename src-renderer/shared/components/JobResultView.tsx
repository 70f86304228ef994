// The end of a job a page started: its error, or the page's view of its summary.
import type { ReactNode } from 'react'
import { useJobResults } from '../../app/job-results'

export function JobResultView(props: { runId: number | null; children: (summary: Record<string, unknown>) => ReactNode }) {
  const r = useJobResults((s) => (props.runId === null ? undefined : s.results[props.runId]))
  if (props.runId === null) return null
  if (!r || r.status === 'running') return <p className="muted small">run {props.runId} is running (progress above)…</p>
  if (r.status !== 'completed') return <p className="error">run {props.runId} {r.status}: {r.error}</p>
  return r.summary ? <>{props.children(r.summary)}</> : <p className="muted small">loading run {props.runId}…</p>
}
