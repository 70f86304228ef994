// GLUE tasks from either of the two layouts users have: GLUE's own TSV files
// (quoting off, a BOM in MRPC, CoLA without a header, test files without
// labels) or the Hugging Face `nyu-mll/glue` parquet / jsonl files.
import fs from 'node:fs'
import { applyMapping, type LoadedSplit } from './examples'
import { formatOf, readTable } from './table'
import { glueTask, type GlueTask } from './tasks'

export type { Example, LoadedSplit } from './examples'

export async function loadGlue(task: GlueTask | string, file: string): Promise<LoadedSplit> {
  const spec = glueTask(task)
  const format = formatOf(file)
  if (format === 'tsv') {
    // CoLA's train/dev have no header; its test file does ("index sentence").
    const firstLine = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split('\n', 1)[0] : ''
    const hasHeader = !spec.headerless || firstLine.split('\t').includes(spec.tsv.a)
    const table = await readTable(file, { header: hasHeader })
    if (!hasHeader) {
      const h = spec.headerless!
      table.rows = table.rows.filter((r) => {
        const n = Object.keys(r.cells).length
        if (n !== h.columns) table.problems.push({ line: r.line, reason: `expected ${h.columns} columns, found ${n}` })
        return n === h.columns
      })
      return applyMapping(table, { a: String(h.a), label: String(h.label), labelNames: spec.labelNames }, task)
    }
    for (const col of [spec.tsv.a, spec.tsv.b]) {
      if (col && !table.columns.includes(col)) throw new Error(`${file}: no "${col}" column for GLUE ${task} (header: ${table.columns.join(', ')})`)
    }
    const labelled = table.columns.includes(spec.tsv.label) // GLUE test files have no label column
    return applyMapping(
      table,
      {
        a: spec.tsv.a,
        b: spec.tsv.b,
        label: labelled ? spec.tsv.label : null,
        regression: spec.regression,
        labelIds: spec.tsv.labelIds,
        labelNames: spec.labelNames,
      },
      task,
    )
  }
  const table = await readTable(file)
  for (const col of [spec.hf.a, spec.hf.b]) {
    if (col && !table.columns.includes(col)) throw new Error(`${file}: no "${col}" column for Hugging Face glue/${task} (columns: ${table.columns.join(', ')})`)
  }
  return applyMapping(
    table,
    {
      a: spec.hf.a,
      b: spec.hf.b,
      label: table.columns.includes('label') ? 'label' : null,
      regression: spec.regression,
      labelNames: spec.labelNames,
      minusOneIsUnlabelled: true,
    },
    task,
  )
}
