// Users' own CSV / TSV / JSONL / parquet files: a preview with a suggested
// column mapping (the user confirms or changes it), then loading through that
// mapping. Nothing is guessed silently: the mapping used is always shown.
import { applyMapping, type ColumnMapping, type LoadedSplit } from './examples'
import { readTable, type Cell, type ReadOptions, type TableFormat } from './table'

export interface TablePreview {
  file: string
  format: TableFormat
  columns: string[]
  rowCount: number
  problemCount: number
  firstProblems: { line: number; reason: string }[]
  rows: Record<string, Cell>[] // the first rows, as read
  suggested: ColumnMapping
}

const A_NAMES = ['sentence', 'sentence1', 'text', 'text_a', 'premise', 'question', 'question1', '#1 String']
const B_NAMES = ['sentence2', 'text_b', 'hypothesis', 'question2', '#2 String']
const LABEL_NAMES = ['label', 'labels', 'gold_label', 'Quality', 'score', 'target', 'y', 'class']

export function suggestMapping(columns: string[], rows: Record<string, Cell>[]): ColumnMapping {
  const pick = (names: string[], except: (string | undefined)[] = []) => names.find((n) => columns.includes(n) && !except.includes(n))
  const longestText = () =>
    columns
      .map((c) => ({ c, len: rows.reduce((s, r) => s + (typeof r[c] === 'string' ? (r[c] as string).length : 0), 0) }))
      .sort((x, y) => y.len - x.len)[0]?.c
  const a = pick(A_NAMES) ?? longestText() ?? columns[0]
  const b = pick(B_NAMES, [a]) ?? null
  const label = pick(LABEL_NAMES, [a, b ?? undefined]) ?? null
  const values = label ? rows.map((r) => String(r[label] ?? '').trim()).filter(Boolean) : []
  const regression = values.length > 0 && values.every((v) => Number.isFinite(Number(v))) && values.some((v) => !Number.isInteger(Number(v)))
  return { a, b, label, regression }
}

export async function previewTable(file: string, opts: ReadOptions = {}, rows = 20): Promise<TablePreview> {
  const t = await readTable(file, opts)
  const head = t.rows.slice(0, Math.max(rows, 200)).map((r) => r.cells)
  return {
    file,
    format: t.format,
    columns: t.columns,
    rowCount: t.rows.length,
    problemCount: t.problems.length,
    firstProblems: t.problems.slice(0, 20),
    rows: head.slice(0, rows),
    suggested: suggestMapping(t.columns, head),
  }
}

export async function loadMapped(file: string, mapping: ColumnMapping, opts: ReadOptions = {}): Promise<LoadedSplit> {
  return applyMapping(await readTable(file, opts), mapping)
}
