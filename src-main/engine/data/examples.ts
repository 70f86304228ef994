// Turns table rows into labelled examples through a column mapping: which
// column is text a, which (optional) is text b, which is the label and whether
// it is a class or a regression score. GLUE tasks and users' own files both go
// through here; every row that does not fit is reported with its line.
import type { Cell, RowProblem, Table } from './table'

export interface Example {
  a: string
  b: string | null
  label: number | null // class id or regression score; null in unlabelled (test) files
  line: number
}

export interface ColumnMapping {
  a: string
  b?: string | null
  label?: string | null
  regression?: boolean
  // Class labels: raw text -> id. Without it, integer labels are ids and text
  // labels get ids in sorted order.
  labelIds?: Record<string, number>
  labelNames?: string[]
  // Hugging Face marks the unlabelled test split with label -1.
  minusOneIsUnlabelled?: boolean
}

export interface LoadedSplit {
  file: string
  task: string // a GLUE task id, or "custom"
  labelNames: string[] // empty for regression
  regression: boolean
  examples: Example[]
  problems: RowProblem[]
  where: 'line' | 'row'
}

const text = (c: Cell | undefined): string => (c === null || c === undefined ? '' : String(c))

// Class ids for a label column whose values are text: sorted, so the order is
// the same on every load of the same file.
function inferLabelIds(values: string[]): Record<string, number> | null {
  const distinct = [...new Set(values.filter((v) => v !== ''))]
  if (distinct.every((v) => /^\d+$/.test(v))) return null // already ids
  return Object.fromEntries(distinct.sort().map((v, i) => [v, i]))
}

export function applyMapping(table: Table, m: ColumnMapping, task = 'custom'): LoadedSplit {
  for (const [role, col] of [['a', m.a], ['b', m.b], ['label', m.label]] as const) {
    if (col && !table.columns.includes(col)) throw new Error(`${table.file}: no column "${col}" for ${role} (columns: ${table.columns.join(', ')})`)
  }
  const problems: RowProblem[] = [...table.problems]
  const labelCol = m.label ?? null
  const regression = !!m.regression
  let labelIds = m.labelIds ?? null
  if (labelCol && !regression && !labelIds) labelIds = inferLabelIds(table.rows.map((r) => text(r.cells[labelCol]).trim()))
  let labelNames = m.labelNames ?? (labelIds ? Object.keys(labelIds).sort((x, y) => labelIds![x] - labelIds![y]) : [])
  if (labelCol && !regression && !labelNames.length) {
    const ids = table.rows.map((r) => Number(text(r.cells[labelCol]).trim())).filter((n) => Number.isInteger(n) && n >= 0)
    labelNames = Array.from({ length: ids.length ? Math.max(...ids) + 1 : 0 }, (_, i) => String(i))
  }
  const examples: Example[] = []
  for (const { cells, line } of table.rows) {
    const a = text(cells[m.a])
    if (!a.trim()) {
      problems.push({ line, reason: `empty text in column "${m.a}"` })
      continue
    }
    let label: number | null = null
    if (labelCol) {
      const raw = text(cells[labelCol]).trim()
      if (m.minusOneIsUnlabelled && raw === '-1') label = null
      else if (regression) {
        label = raw === '' ? NaN : Number(raw)
        if (!Number.isFinite(label)) {
          problems.push({ line, reason: `label ${JSON.stringify(raw)} in column "${labelCol}" is not a number` })
          continue
        }
      } else {
        const id = labelIds ? labelIds[raw] : /^\d+$/.test(raw) ? Number(raw) : undefined
        if (id === undefined || id >= labelNames.length) {
          const known = labelIds ? Object.keys(labelIds).join(', ') : `0..${labelNames.length - 1}`
          problems.push({ line, reason: `label ${JSON.stringify(raw)} in column "${labelCol}" is not one of ${known}` })
          continue
        }
        label = id
      }
    }
    examples.push({ a, b: m.b ? text(cells[m.b]) : null, label, line })
  }
  return { file: table.file, task, labelNames: regression ? [] : labelNames, regression, examples, problems, where: table.where }
}
