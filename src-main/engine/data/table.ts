// Reads the tabular files users bring — TSV (quoting off, as GLUE ships them),
// CSV (RFC 4180 quoting), JSON Lines / JSON arrays and parquet (the hub's
// format) — into rows of named cells. Every row keeps where it came from
// (a line, or a row number for parquet) so problems can point at it.
import fs from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'

export type TableFormat = 'tsv' | 'csv' | 'jsonl' | 'json' | 'parquet'
export type Cell = string | number | boolean | null

export interface TableRow {
  cells: Record<string, Cell>
  line: number // 1-based line in a text file, 1-based row in parquet
}

export interface RowProblem {
  line: number
  reason: string
}

export interface Table {
  file: string
  format: TableFormat
  columns: string[]
  rows: TableRow[]
  problems: RowProblem[]
  where: 'line' | 'row' // what `line` counts, for messages
}

export interface ReadOptions {
  format?: TableFormat
  // Text tables: is the first row a header? Without one, columns are named "0", "1", ….
  header?: boolean
}

export function formatOf(file: string): TableFormat {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.tsv' || ext === '.txt') return 'tsv'
  if (ext === '.csv') return 'csv'
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl'
  if (ext === '.json') return 'json'
  if (ext === '.parquet') return 'parquet'
  throw new Error(`${file}: unknown table format "${ext}" (use .tsv, .csv, .jsonl, .json or .parquet)`)
}

export async function readTable(file: string, opts: ReadOptions = {}): Promise<Table> {
  const format = opts.format ?? formatOf(file)
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`)
  if (format === 'parquet') return readParquet(file)
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')
  if (format === 'jsonl' || format === 'json') return readJson(file, format, text)
  return readDelimited(file, format, text, opts.header ?? true)
}

function readDelimited(file: string, format: 'tsv' | 'csv', text: string, header: boolean): Table {
  let rows: { record: string[]; raw: string; info: { lines: number } }[]
  try {
    rows = parse(text, {
      delimiter: format === 'tsv' ? '\t' : ',',
      quote: format === 'tsv' ? false : '"',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    }) as unknown as typeof rows
  } catch (err) {
    const e = err as Error & { lines?: number }
    throw new Error(`${file}${e.lines ? `:${e.lines}` : ''}: not valid ${format.toUpperCase()}: ${e.message}`)
  }
  if (header && !rows.length) throw new Error(`${file}: empty file (expected a header row)`)
  const columns = header ? rows[0].record.map((c) => c.trim()) : Array.from({ length: Math.max(0, ...rows.map((r) => r.record.length)) }, (_, i) => String(i))
  const body = header ? rows.slice(1) : rows
  const out: TableRow[] = []
  const problems: RowProblem[] = []
  for (const { record, raw, info } of body) {
    // info.lines is where the record ends; a quoted field may span lines.
    const line = info.lines - (raw.replace(/^[\r\n]+/, '').replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0)
    if (header && record.length !== columns.length) {
      problems.push({ line, reason: `expected ${columns.length} columns, found ${record.length}` })
      continue
    }
    const cells: Record<string, Cell> = {}
    record.forEach((v, i) => (cells[columns[i]] = v))
    out.push({ cells, line })
  }
  return { file, format, columns, rows: out, problems, where: 'line' }
}

function readJson(file: string, format: 'jsonl' | 'json', text: string): Table {
  const trimmed = text.trimStart()
  const rows: TableRow[] = []
  const problems: RowProblem[] = []
  const columns = new Set<string>()
  const take = (value: unknown, line: number) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ line, reason: 'not a JSON object' })
      return
    }
    const cells: Record<string, Cell> = {}
    for (const [k, v] of Object.entries(value)) {
      cells[k] = v === null || ['string', 'number', 'boolean'].includes(typeof v) ? (v as Cell) : JSON.stringify(v)
      columns.add(k)
    }
    rows.push({ cells, line })
  }
  if (format === 'json' && trimmed.startsWith('[')) {
    let arr: unknown[]
    try {
      arr = JSON.parse(text) as unknown[]
    } catch (err) {
      throw new Error(`${file}: not valid JSON: ${(err as Error).message}`)
    }
    arr.forEach((v, i) => take(v, i + 1)) // a JSON array has no lines: count elements
    return { file, format, columns: [...columns], rows, problems, where: 'row' }
  }
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return
    try {
      take(JSON.parse(raw), i + 1)
    } catch (err) {
      problems.push({ line: i + 1, reason: `not valid JSON: ${(err as Error).message}` })
    }
  })
  return { file, format, columns: [...columns], rows, problems, where: 'line' }
}

async function readParquet(file: string): Promise<Table> {
  let objects: Record<string, unknown>[]
  try {
    objects = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Record<string, unknown>[]
  } catch (err) {
    throw new Error(`${file}: not a readable parquet file: ${(err as Error).message}`)
  }
  const columns = objects.length ? Object.keys(objects[0]) : []
  const rows = objects.map((o, i) => {
    const cells: Record<string, Cell> = {}
    for (const [k, v] of Object.entries(o)) cells[k] = typeof v === 'bigint' ? Number(v) : (v as Cell)
    return { cells, line: i + 1 }
  })
  return { file, format: 'parquet', columns, rows, problems: [], where: 'row' }
}
