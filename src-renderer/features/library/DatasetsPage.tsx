// Datasets: open a GLUE folder (TSV, or the hub's parquet/jsonl), pull a GLUE
// task, or open your own CSV/TSV/JSONL file and map its columns. Each split
// shows its label balance, a length histogram and the rows it could not use.
import { useCallback, useEffect, useState } from 'react'
import type { DatasetSummary, SplitSummary, TablePreviewResult } from '../../../src-main/contract/types'
import { GLUE_TASK_IDS } from '../../../src-main/engine/data/tasks'
import { formatCount } from '../../lib/format'
import { BarChartFigure } from '../../shared/charts/BarChartFigure'
import { HubPull } from './HubPull'
import { PathForm } from './PathForm'
import { useLibraryStore } from './store'

export function DatasetsPage() {
  const { datasetPath, dataset, datasetError, datasetBusy, filePreview, model, openDataset, previewFile } = useLibraryStore()
  const [task, setTask] = useState('')
  const onPulled = useCallback((dir: string) => void openDataset(dir), [openDataset])
  return (
    <section className="page datasets-page">
      <h1>Datasets</h1>
      <div className="card wide">
        <PathForm
          label="Dataset folder"
          initial={datasetPath}
          busy={datasetBusy}
          action="Open folder"
          placeholder="/path/to/MRPC (train.tsv, dev.tsv …) or a hub folder of parquet files"
          onSubmit={(p) => void openDataset(p, task || undefined)}
        />
        <label className="inline">
          Task
          <select aria-label="task" value={task} onChange={(e) => setTask(e.target.value)}>
            <option value="">from the folder name</option>
            {GLUE_TASK_IDS.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <PathForm label="Your own file" initial="" busy={datasetBusy} action="Preview file" placeholder="/path/to/data.csv, .tsv, .jsonl or .parquet" onSubmit={(p) => void previewFile(p)} />
        <HubPull kind="dataset" placeholder="glue/mrpc" onDone={onPulled} />
        <p className="muted small">
          Lengths are counted in {model ? <>tokens of the model opened on the Models page ({model.dir})</> : 'words; open a model on the Models page to count its tokens'}.
        </p>
      </div>
      {datasetError && <p className="error">{datasetError}</p>}
      {filePreview && <MappingStep preview={filePreview} />}
      {dataset && <DatasetView dataset={dataset} />}
    </section>
  )
}

function MappingStep({ preview }: { preview: TablePreviewResult }) {
  const loadFile = useLibraryStore((s) => s.loadFile)
  const [a, setA] = useState(preview.suggested.a)
  const [b, setB] = useState(preview.suggested.b ?? '')
  const [label, setLabel] = useState(preview.suggested.label ?? '')
  const [regression, setRegression] = useState(!!preview.suggested.regression)
  useEffect(() => {
    setA(preview.suggested.a)
    setB(preview.suggested.b ?? '')
    setLabel(preview.suggested.label ?? '')
    setRegression(!!preview.suggested.regression)
  }, [preview])
  const select = (name: string, value: string, set: (v: string) => void, optional: boolean) => (
    <label>
      {name}
      <select aria-label={`column for ${name}`} value={value} onChange={(e) => set(e.target.value)}>
        {optional && <option value="">(none)</option>}
        {preview.columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  )
  return (
    <div className="card wide" data-testid="mapping-step">
      <h2>
        {preview.file} · {preview.format.toUpperCase()} · {formatCount(preview.rowCount)} rows
      </h2>
      {preview.problemCount > 0 && (
        <p className="warning">
          {preview.problemCount} rows cannot be read: {preview.firstProblems.map((p) => `line ${p.line}: ${p.reason}`).join('; ')}
        </p>
      )}
      <div className="form-grid">
        {select('Text A', a, setA, false)}
        {select('Text B', b, setB, true)}
        {select('Label', label, setLabel, true)}
        <label className="inline">
          <input type="checkbox" checked={regression} onChange={(e) => setRegression(e.target.checked)} /> label is a score (regression)
        </label>
      </div>
      <div className="table-scroll">
        <table className="plain preview">
          <thead>
            <tr>
              {preview.columns.map((c) => (
                <th key={c} className={[a, b, label].includes(c) ? 'mapped' : ''}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((r, i) => (
              <tr key={i}>
                {preview.columns.map((c) => (
                  <td key={c}>{String(r[c] ?? '')}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button className="primary" onClick={() => void loadFile(preview.file, { a, b: b || null, label: label || null, regression })}>
        Load with this mapping
      </button>
    </div>
  )
}

function DatasetView({ dataset }: { dataset: DatasetSummary }) {
  return (
    <div data-testid="dataset-view">
      <h2>
        {dataset.taskName ?? 'Custom dataset'} · {dataset.regression ? 'regression' : `${dataset.labelNames.length} classes (${dataset.labelNames.join(', ')})`}
      </h2>
      <p className="muted">{dataset.dir}</p>
      {dataset.splits.map((s) => (
        <SplitCard key={s.name} split={s} />
      ))}
    </div>
  )
}

function SplitCard({ split }: { split: SplitSummary }) {
  const st = split.lengthStats
  return (
    <div className="card wide split-card" data-split={split.name}>
      <h3>
        {split.name}: <span data-testid="split-examples">{formatCount(split.examples)}</span> examples
      </h3>
      <p className="muted">
        {split.lengthUnit}: mean {st.mean.toFixed(1)}, median {st.p50}, p95 {st.p95}, max {st.max}
        {st.overMaxLength ? ` · ${st.overMaxLength} longer than the max length (will be truncated)` : ''}
      </p>
      {split.problems > 0 && (
        <details className="warning" open>
          <summary>{split.problems} rows not used</summary>
          <ul>
            {split.firstProblems.map((p) => (
              <li key={p.line}>
                {split.where} {p.line}: {p.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      <div className="charts">
        <BarChartFigure title="Label balance" chart="labels" data={split.labelCounts} x="label" color="#4ea1ff" />
        <BarChartFigure
          title={`Length (${split.lengthUnit})`}
          chart="lengths"
          data={split.lengthHistogram.map((b) => ({ ...b, range: `${b.from}–${b.to}` }))}
          x="range"
          color="#3ccf91"
        />
      </div>
      <details>
        <summary>First rows</summary>
        <table className="plain preview">
          <tbody>
            {split.preview.map((r) => (
              <tr key={r.line}>
                <td className="muted">{r.line}</td>
                <td>{r.a}</td>
                <td>{r.b ?? ''}</td>
                <td>{r.label === null ? '' : r.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  )
}
