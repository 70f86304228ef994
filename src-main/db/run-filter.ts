// The run filter language, compiled to SQL so filtering happens in SQLite:
//   metrics.eval/accuracy > 0.8 and params.loraR = 16
//   (status = failed or status = crashed) and not tag = baseline
//   name ~ mrpc and created >= 2026-11-01
// Fields: id, kind, name, status, notes, created, tag, params.<key>,
// metrics.<key> (the run's last logged value), summary.<path>.
// Operators: = != < <= > >= ~ (contains, case-insensitive); and, or, not, ( ).
// Errors name the position in the expression.

type Token = { kind: 'word' | 'string' | 'number' | 'op' | 'lparen' | 'rparen'; text: string; pos: number }

export class FilterError extends Error {}

// SQL for a run's params.X (its value) or metrics.X (its last logged value); null for other names.
// The key is pushed onto args.
export function runValueSql(name: string, args: unknown[]): string | null {
  const [head, ...rest] = name.split('.')
  const key = rest.join('.')
  if (!key) return null
  if (head === 'params') return args.push(key), `(SELECT json_extract(value_json, '$') FROM params WHERE run_id = runs.id AND key = ?)`
  if (head === 'metrics') return args.push(key), `(SELECT value FROM metrics WHERE run_id = runs.id AND key = ? ORDER BY step DESC LIMIT 1)`
  return null
}

const OPS = ['!=', '<=', '>=', '=', '<', '>', '~']

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, pos: i })
      i++
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i))
    if (op) {
      out.push({ kind: 'op', text: op, pos: i })
      i += op.length
      continue
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1)
      if (end < 0) throw new FilterError(`filter: unclosed string starting at position ${i}`)
      out.push({ kind: 'string', text: src.slice(i + 1, end), pos: i })
      i = end + 1
      continue
    }
    const m = /^[^\s()=!<>~"']+/.exec(src.slice(i))
    if (!m) throw new FilterError(`filter: unexpected ${JSON.stringify(c)} at position ${i}`)
    out.push({ kind: /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(m[0]) ? 'number' : 'word', text: m[0], pos: i })
    i += m[0].length
  }
  return out
}

const COLUMNS: Record<string, string> = {
  id: 'runs.id',
  kind: 'runs.kind',
  name: 'runs.name',
  status: 'runs.status',
  notes: 'runs.notes',
  created: 'runs.created_at',
  archived: 'runs.archived',
}

export interface CompiledFilter {
  sql: string
  args: unknown[]
}

export function compileFilter(src: string): CompiledFilter {
  const tokens = tokenize(src)
  let k = 0
  const args: unknown[] = []
  const peek = () => tokens[k]
  const isWord = (w: string) => peek()?.kind === 'word' && peek().text.toLowerCase() === w
  const where = () => (peek() ? `position ${peek().pos}` : 'the end')

  const field = (t: Token): string => {
    const [head, ...rest] = t.text.split('.')
    const key = rest.join('.')
    if (COLUMNS[t.text]) return COLUMNS[t.text]
    const value = runValueSql(t.text, args)
    if (value) return value
    if (head === 'summary' && key) return args.push(`$.${key}`), `json_extract(runs.summary_json, ?)`
    throw new FilterError(`filter: unknown field ${JSON.stringify(t.text)} at position ${t.pos} (use id, kind, name, status, notes, created, tag, params.<key>, metrics.<key>, summary.<path>)`)
  }

  const comparison = (): string => {
    const f = peek()
    if (!f || f.kind !== 'word') throw new FilterError(`filter: expected a field at ${where()}`)
    k++
    const op = peek()
    if (!op || op.kind !== 'op') throw new FilterError(`filter: expected an operator (= != < <= > >= ~) after ${JSON.stringify(f.text)} at ${where()}`)
    k++
    const v = peek()
    if (!v || !['word', 'string', 'number'].includes(v.kind)) throw new FilterError(`filter: expected a value after ${JSON.stringify(op.text)} at ${where()}`)
    k++
    const value = v.kind === 'number' ? Number(v.text) : v.kind === 'word' && ['true', 'false'].includes(v.text) ? Number(v.text === 'true') : v.text
    if (f.text === 'tag') {
      if (op.text !== '=' && op.text !== '!=' && op.text !== '~') throw new FilterError(`filter: tag takes =, != or ~ (position ${op.pos})`)
      args.push(op.text === '~' ? `%${value}%` : value)
      const exists = `EXISTS (SELECT 1 FROM run_tags WHERE run_id = runs.id AND tag ${op.text === '~' ? 'LIKE' : '='} ?)`
      return op.text === '!=' ? `NOT ${exists}` : exists
    }
    const lhs = field(f)
    if (op.text === '~') return args.push(`%${value}%`), `${lhs} LIKE ?`
    args.push(value)
    return `${lhs} ${op.text === '!=' ? 'IS NOT' : op.text === '=' ? 'IS' : op.text} ?`
  }

  const unary = (): string => {
    if (isWord('not')) {
      k++
      return `NOT (${unary()})`
    }
    if (peek()?.kind === 'lparen') {
      k++
      const inner = disjunction()
      if (peek()?.kind !== 'rparen') throw new FilterError(`filter: expected ")" at ${where()}`)
      k++
      return `(${inner})`
    }
    return comparison()
  }
  const conjunction = (): string => {
    let sql = unary()
    while (isWord('and')) {
      k++
      sql = `${sql} AND ${unary()}`
    }
    return sql
  }
  const disjunction = (): string => {
    let sql = conjunction()
    while (isWord('or')) {
      k++
      sql = `(${sql} OR ${conjunction()})`
    }
    return sql
  }

  if (!tokens.length) return { sql: '1', args: [] }
  const sql = disjunction()
  if (peek()) throw new FilterError(`filter: unexpected ${JSON.stringify(peek().text)} at position ${peek().pos} (join conditions with and / or)`)
  return { sql, args }
}
