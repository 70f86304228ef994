// GLUE tasks in the TSV layout GLUE distributes (download_glue_data.py):
// tab-separated, quoting OFF (sentences contain unbalanced quotes), some files
// with a UTF-8 BOM, CoLA without a header. Rows that do not fit the task's
// layout are reported with file and line, never silently dropped.
import fs from 'node:fs'
import { parse } from 'csv-parse/sync'

export interface Example {
  a: string
  b: string | null
  label: number | null // null in unlabelled (GLUE test) files
  line: number // 1-based line in the file
}

export interface RowProblem {
  line: number
  reason: string
}

export interface LoadedSplit {
  task: GlueTask
  file: string
  labelNames: string[]
  examples: Example[]
  problems: RowProblem[]
}

interface TaskSpec {
  header: boolean
  // Column names (header files) or indexes (CoLA) of the text(s) and label.
  a: string | number
  b?: string | number
  label: string | number
  labelNames: string[]
  // Raw label text -> label id (default: the text is the id).
  labelIds?: Record<string, number>
  columns?: number // exact column count for headerless files
}

export const GLUE: Record<'mrpc' | 'rte' | 'cola' | 'sst2', TaskSpec> = {
  mrpc: { header: true, a: '#1 String', b: '#2 String', label: 'Quality', labelNames: ['not_equivalent', 'equivalent'] },
  rte: {
    header: true,
    a: 'sentence1',
    b: 'sentence2',
    label: 'label',
    labelNames: ['entailment', 'not_entailment'],
    labelIds: { entailment: 0, not_entailment: 1 },
  },
  cola: { header: false, a: 3, label: 1, labelNames: ['unacceptable', 'acceptable'], columns: 4 },
  sst2: { header: true, a: 'sentence', label: 'label', labelNames: ['negative', 'positive'] },
}
export type GlueTask = keyof typeof GLUE

export function loadGlueTsv(task: GlueTask, file: string): LoadedSplit {
  const spec = GLUE[task]
  if (!spec) throw new Error(`Unknown GLUE task ${JSON.stringify(task)}; known: ${Object.keys(GLUE).join(', ')}`)
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')
  const rows = parse(text, { delimiter: '\t', quote: false, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as {
    record: string[]
    info: { lines: number }
  }[]
  const problems: RowProblem[] = []
  let header: string[] | null = null
  let body = rows
  if (spec.header) {
    if (!rows.length) throw new Error(`${file}: empty file`)
    header = rows[0].record
    body = rows.slice(1)
  }
  const col = (name: string | number | undefined, required: boolean): number | null => {
    if (name === undefined) return null
    if (typeof name === 'number') return name
    const i = header!.indexOf(name)
    if (i < 0 && required) throw new Error(`${file}: no "${name}" column for GLUE ${task} (header: ${header!.join(', ')})`)
    return i < 0 ? null : i
  }
  const ai = col(spec.a, true)!
  const bi = col(spec.b, true)
  const li = col(spec.label, false) // unlabelled test files lack it
  const width = spec.columns ?? header!.length
  const examples: Example[] = []
  for (const { record, info } of body) {
    const line = info.lines
    if (record.length !== width) {
      problems.push({ line, reason: `expected ${width} tab-separated columns, found ${record.length}` })
      continue
    }
    let label: number | null = null
    if (li !== null) {
      const raw = record[li].trim()
      const id = spec.labelIds ? spec.labelIds[raw] : /^\d+$/.test(raw) ? Number(raw) : undefined
      if (id === undefined || id < 0 || id >= spec.labelNames.length) {
        problems.push({ line, reason: `label ${JSON.stringify(raw)} is not one of ${spec.labelIds ? Object.keys(spec.labelIds).join(', ') : `0..${spec.labelNames.length - 1}`}` })
        continue
      }
      label = id
    }
    examples.push({ a: record[ai], b: bi === null ? null : record[bi], label, line })
  }
  return { task, file, labelNames: spec.labelNames, examples, problems }
}
