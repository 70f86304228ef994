// The run history: a virtualized table filtered in SQL (the filter language of
// `tbw runs list --filter`), free-text search, extra columns (params.X,
// metrics.X; remembered), checkboxes for compare / archive / delete, and the
// selected run's details, notes, tags, artifacts and curves.
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { RunSummary } from '../../../src-main/contract/types'
import { formatDuration, formatTime } from '../../lib/format'
import { api } from '../../lib/api'
import { ProgressBar } from '../../shared/components/ProgressBar'
import { CompareView } from './CompareView'
import { RunDetailPanel } from './RunDetailPanel'
import { runsToCsv, runsToJson } from '../../../src-main/services/runs/export-format'
import { useRunsStore } from './store'

// Downloads the checked runs (params, last metric values; JSON with full curves).
async function exportRuns(ids: number[], format: 'csv' | 'json') {
  const runs = await Promise.all(ids.map((id) => api.call('runs.get', { id })))
  const series = await Promise.all(ids.map((runId) => api.call('runs.metrics', { runId, maxPoints: 100_000 })))
  const text = format === 'csv' ? runsToCsv(runs, series) : runsToJson(runs, series)
  const url = URL.createObjectURL(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' }))
  const a = document.createElement('a')
  a.href = url
  a.download = `runs-${ids.join('-')}.${format}`
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

const RUNS_POLL_MS = 5000
const ROW_H = 34

function show(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return String(Number(v.toPrecision(5)))
  return typeof v === 'string' ? v : JSON.stringify(v)
}

export function RunsPage() {
  const { runs, error, checked, selectedId, filter, search, archived, columns, refresh, select, toggle, setQuery } = useRunsStore()
  const [filterText, setFilterText] = useState(filter)
  const [columnsText, setColumnsText] = useState(columns.join(', '))
  const [comparing, setComparing] = useState<number[] | null>(null)
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: 'ID', desc: true })
  const sorted = useMemo(() => {
    const value = (r: RunSummary): unknown =>
      sort.key === 'ID' ? r.id : sort.key === 'Name' ? r.name : sort.key === 'Kind' ? r.kind : sort.key === 'Status' ? r.status : sort.key === 'Progress' ? r.progress
        : sort.key === 'Duration' ? (r.startedAt ? (r.endedAt ? Date.parse(r.endedAt) : Date.now()) - Date.parse(r.startedAt) : null)
        : sort.key === 'Created' ? r.createdAt : r.values?.[sort.key]
    const cmp = (a: unknown, b: unknown) => (a === b ? 0 : a === null || a === undefined ? 1 : b === null || b === undefined ? -1 : a < b ? -1 : 1)
    return [...runs].sort((a, b) => (sort.desc ? -1 : 1) * cmp(value(a), value(b)))
  }, [runs, sort])
  const scroller = useRef<HTMLDivElement>(null)
  const rows = useVirtualizer({ count: runs.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_H, overscan: 12 })

  // Live from the database: our own jobs push events; runs written by another
  // process sharing the data directory (the CLI, a second app) appear by polling.
  useEffect(() => {
    void refresh()
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh()
    }, RUNS_POLL_MS)
    return () => clearInterval(timer)
  }, [refresh])

  const act = async (what: 'archive' | 'unarchive' | 'delete') => {
    if (what === 'delete' && !window.confirm(`Delete ${checked.length} run(s) with their metrics and files? This cannot be undone.`)) return
    if (what === 'delete') await api.call('runs.delete', { ids: checked, artifacts: true })
    else await api.call('runs.archive', { ids: checked, archived: what === 'archive' })
    if (checked.includes(selectedId ?? -1)) void select(null)
    await refresh()
  }
  const grid = `36px 56px minmax(180px, 2fr) 110px 100px 240px ${columns.map(() => 'minmax(90px, 1fr)').join(' ')} 80px 170px`

  return (
    <section className="page runs-page">
      <header className="page-header">
        <h1>Runs</h1>
        <button onClick={() => void refresh()}>Refresh</button>
      </header>
      <div className="runs-toolbar">
        <form
          onSubmit={(e) => {
            e.preventDefault()
            setQuery({ filter: filterText.trim() })
          }}
        >
          <input aria-label="filter runs" className="filter" value={filterText} placeholder="filter: metrics.eval/accuracy > 0.8 and params.loraR = 16" onChange={(e) => setFilterText(e.target.value)} />
        </form>
        <input aria-label="search runs" value={search} placeholder="search names and notes" onChange={(e) => setQuery({ search: e.target.value })} />
        <select aria-label="archived runs" value={archived} onChange={(e) => setQuery({ archived: e.target.value as typeof archived })}>
          <option value="exclude">hide archived</option>
          <option value="include">with archived</option>
          <option value="only">archived only</option>
        </select>
        <form
          onSubmit={(e) => {
            e.preventDefault()
            setQuery({ columns: columnsText.split(',').map((c) => c.trim()).filter(Boolean) })
          }}
        >
          <input aria-label="columns" value={columnsText} placeholder="columns: params.loraR, metrics.eval/accuracy" onChange={(e) => setColumnsText(e.target.value)} />
        </form>
      </div>
      <div className="runs-actions">
        <span className="muted" data-testid="run-count">
          {runs.length} runs{checked.length ? ` · ${checked.length} checked` : ''}
        </span>
        <button disabled={checked.length < 2} onClick={() => setComparing([...checked])}>
          Compare
        </button>
        <button disabled={!checked.length} onClick={() => void act(archived === 'only' ? 'unarchive' : 'archive')}>
          {archived === 'only' ? 'Unarchive' : 'Archive'}
        </button>
        <button disabled={!checked.length} onClick={() => void act('delete')}>
          Delete
        </button>
        <button disabled={!checked.length} onClick={() => void exportRuns(checked, 'csv')}>
          Export CSV
        </button>
        <button disabled={!checked.length} onClick={() => void exportRuns(checked, 'json')}>
          Export JSON
        </button>
      </div>
      {error && <p className="error">{error}</p>}
      {runs.length === 0 ? (
        <p className="muted">{filter || search ? 'No runs match.' : 'No runs yet. Start the engine self-test from Home, or run `tbw selftest`.'}</p>
      ) : (
        <div className="runs-grid" role="table" aria-label="runs">
          <div className="runs-row head" role="row" style={{ gridTemplateColumns: grid }}>
            {['', 'ID', 'Name', 'Kind', 'Status', 'Progress', ...columns, 'Duration', 'Created'].map((h, i) => (
              <div
                key={i}
                role="columnheader"
                className={h ? 'sortable' : ''}
                aria-sort={sort.key === h ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                onClick={() => h && setSort((s) => ({ key: h, desc: s.key === h ? !s.desc : true }))}
              >
                {h}
                {sort.key === h ? (sort.desc ? ' ▼' : ' ▲') : ''}
              </div>
            ))}
          </div>
          <div className="runs-scroll" ref={scroller}>
            <div style={{ height: rows.getTotalSize(), position: 'relative' }}>
              {rows.getVirtualItems().map((v) => {
                const r = sorted[v.index]
                return (
                  <div
                    key={r.id}
                    role="row"
                    data-run-id={r.id}
                    className={`runs-row ${r.id === selectedId ? 'selected' : ''}`}
                    style={{ gridTemplateColumns: grid, position: 'absolute', top: 0, left: 0, right: 0, height: ROW_H, transform: `translateY(${v.start}px)` }}
                    onClick={() => void select(r.id)}
                  >
                    <div onClick={(e) => e.stopPropagation()}>
                      <input type="checkbox" aria-label={`check run ${r.id}`} checked={checked.includes(r.id)} onChange={(e) => toggle(r.id, e.target.checked)} />
                    </div>
                    <div>{r.id}</div>
                    <div className="ellipsis">{r.name}</div>
                    <div>{r.kind}</div>
                    <div>
                      <span className={`status status-${r.status}`}>{r.status}</span>
                    </div>
                    <div className="progress-cell">{r.progress !== null && <ProgressBar fraction={r.progress} etaSeconds={r.etaSeconds} status={r.status} />}</div>
                    {columns.map((c) => (
                      <div key={c} data-col={c}>
                        {show(r.values?.[c])}
                      </div>
                    ))}
                    <div>{formatDuration(r.startedAt, r.endedAt)}</div>
                    <div>{formatTime(r.createdAt)}</div>
                  </div>
                )
              })}
            </div>
          </div>
        </div>
      )}
      {comparing && <CompareView ids={comparing} onClose={() => setComparing(null)} />}
      {selectedId !== null && !comparing && <RunDetailPanel />}
    </section>
  )
}
