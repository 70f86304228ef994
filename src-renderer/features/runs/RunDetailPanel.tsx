// One run: status, error, params, notes (markdown source) and tags, artifacts
// with size and sha256, and its metric curves.
import { useEffect, useState } from 'react'
import Markdown from 'react-markdown'
import type { ArtifactInfo } from '../../../src-main/contract/types'
import { api } from '../../lib/api'
import { formatBytes } from '../../lib/format'
import { MetricChart } from '../../shared/charts/MetricChart'
import { useAppStore } from '../../app/store'
import { useRunsStore } from './store'

interface RunSystem {
  kernels?: { variant?: string; threads?: number; cpu?: Record<string, boolean>; compiler?: string } | { error: string }
  versions?: Record<string, string | null>
  platform?: { cpuModel?: string; cores?: number; os?: string }
}

// The machine a run ran on, as recorded when it started.
function SystemInfo({ system }: { system?: RunSystem }) {
  if (!system?.kernels) return null
  const k = system.kernels
  const features = 'cpu' in k && k.cpu ? Object.entries(k.cpu).filter(([, on]) => on).map(([f]) => f).join(' ') : ''
  return (
    <p className="muted small" data-testid="run-system">
      {'error' in k ? `kernels: ${k.error}` : `kernels ${k.variant} · ${k.threads} threads · CPU ${features}`} · {system.platform?.cpuModel} · node{' '}
      {system.versions?.node} · electron {system.versions?.electron ?? '—'} · sqlite {system.versions?.sqlite}
    </p>
  )
}

const COLORS = ['#4ea1ff', '#f5a524', '#3ccf91', '#e5484d', '#a78bfa', '#22d3ee']

export function RunDetailPanel() {
  const detail = useRunsStore((s) => s.detail)
  const series = useRunsStore((s) => s.series)
  const refresh = useRunsStore((s) => s.refresh)
  const [artifacts, setArtifacts] = useState<ArtifactInfo[]>([])
  const [notes, setNotes] = useState('')
  const [tags, setTags] = useState('')
  const [saved, setSaved] = useState<string | null>(null)
  useEffect(() => {
    if (!detail) return
    setNotes(detail.notes)
    setTags(detail.tags.join(' '))
    setSaved(null)
    api.call('runs.artifacts', { runId: detail.id }).then(setArtifacts, () => setArtifacts([]))
  }, [detail?.id]) // eslint-disable-line react-hooks/exhaustive-deps
  if (!detail) return <p className="muted">Loading run…</p>
  const save = async () => {
    try {
      await api.call('runs.update', { id: detail.id, notes, tags: tags.split(/\s+/).filter(Boolean) })
      setSaved('saved')
      await refresh()
    } catch (err) {
      setSaved((err as Error).message)
    }
  }
  return (
    <div className="run-detail" data-testid="run-detail">
      <h2>
        Run {detail.id}: {detail.name}
      </h2>
      {detail.error && <p className="error">{detail.error}</p>}
      {detail.kind === 'trace-import' && detail.status === 'completed' && <button onClick={() => useAppStore.getState().openTrace(detail.id)}>Open in Traces</button>}
      {detail.kind === 'bench' && detail.status === 'completed' && <button onClick={() => useAppStore.getState().openBench(detail.id)}>Open in Benchmarks</button>}
      {typeof (detail.summary.profile as { trace?: unknown } | undefined)?.trace === 'string' && (
        <button onClick={() => void openProfile(detail.id, (detail.summary.profile as { trace: string }).trace)}>Open its profile in Traces</button>
      )}
      {((detail.summary.profiles ?? []) as { variant: string; trace: string | null }[])
        .filter((p) => p.trace)
        .map((p) => (
          <button key={p.variant} onClick={() => void openProfile(detail.id, p.trace!)}>
            Open the {p.variant} profile in Traces
          </button>
        ))}
      <SystemInfo system={detail.config.system as RunSystem | undefined} />
      <dl className="params">
        {Object.entries(detail.params).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{JSON.stringify(v)}</dd>
          </div>
        ))}
      </dl>
      <div className="form-grid">
        <label>
          Notes (markdown)
          <textarea aria-label="notes" rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />
        </label>
        <label>
          Tags (space-separated)
          <input aria-label="tags" value={tags} onChange={(e) => setTags(e.target.value)} />
        </label>
      </div>
      <button onClick={() => void save()}>Save notes and tags</button> {saved && <span className="muted">{saved}</span>}
      {detail.notes && (
        // Rendered without raw HTML (react-markdown's default), so notes cannot inject markup.
        <div className="notes-preview" data-testid="notes-preview">
          <Markdown>{detail.notes}</Markdown>
        </div>
      )}
      {artifacts.length > 0 && (
        <table className="plain artifacts" data-testid="artifacts">
          <tbody>
            {artifacts.map((a) => (
              <tr key={a.id}>
                <td>{a.kind}</td>
                <td className="mono">{a.path}</td>
                <td>{formatBytes(a.bytes)}</td>
                <td className="mono" title={a.sha256}>
                  sha256 {a.sha256.slice(0, 12)}…
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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

// A fine-tune or bench run's recorded profile: imported as a trace run (linked by name) and shown in Traces.
async function openProfile(runId: number, file: string): Promise<void> {
  const { runId: importId } = await api.call('jobs.start', { kind: 'trace-import', params: { file, sourceRunId: runId }, name: `profile of run ${runId}` })
  useAppStore.getState().upsertJob(importId, { label: `Importing the profile of run ${runId} (run ${importId})` })
  useAppStore.getState().openTrace(importId)
}
