import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDataDir } from '../../../test-support/services'
import { loadMapped, previewTable } from './user-dataset'

describe('user datasets with a column mapping', () => {
  it('previews a quoted CSV, suggests a mapping, and maps text labels to sorted ids', async () => {
    const file = path.join(tempDataDir('user-csv'), 'reviews.csv')
    fs.writeFileSync(
      file,
      'id,review,verdict\n1,"Great, really great",pos\n2,"He said ""meh""",neg\n3,"multi\nline text",pos\n4,,neg\n5,fine,maybe-ish\n6,too,many,cells\n',
    )
    const p = await previewTable(file)
    expect(p.format).toBe('csv')
    expect(p.columns).toEqual(['id', 'review', 'verdict'])
    expect(p.rowCount).toBe(5)
    expect(p.firstProblems).toEqual([{ line: 8, reason: 'expected 3 columns, found 4' }])
    expect(p.suggested).toEqual({ a: 'review', b: null, label: null, regression: false })

    const s = await loadMapped(file, { a: 'review', label: 'verdict' })
    expect(s.labelNames).toEqual(['maybe-ish', 'neg', 'pos'])
    expect(s.examples.map((e) => [e.a, e.label, e.line])).toEqual([
      ['Great, really great', 2, 2],
      ['He said "meh"', 1, 3],
      ['multi\nline text', 2, 4],
      ['fine', 0, 7],
    ])
    expect(s.problems).toEqual([
      { line: 8, reason: 'expected 3 columns, found 4' },
      { line: 6, reason: 'empty text in column "review"' },
    ])
    await expect(loadMapped(file, { a: 'text' })).rejects.toThrow(/reviews\.csv: no column "text" for a \(columns: id, review, verdict\)/)
  })

  it('reads JSONL pairs with a regression score, reporting the broken line', async () => {
    const file = path.join(tempDataDir('user-jsonl'), 'pairs.jsonl')
    fs.writeFileSync(file, '{"sentence1":"a cat","sentence2":"a dog","score":1.5}\n{"sentence1":"x","sentence2":"y","score":4}\n{oops}\n\n[1,2]\n')
    const p = await previewTable(file)
    expect(p.suggested).toEqual({ a: 'sentence1', b: 'sentence2', label: 'score', regression: true })
    const s = await loadMapped(file, p.suggested)
    expect(s.regression).toBe(true)
    expect(s.examples.map((e) => [e.a, e.b, e.label])).toEqual([
      ['a cat', 'a dog', 1.5],
      ['x', 'y', 4],
    ])
    expect(s.problems.map((x) => [x.line, x.reason.slice(0, 18)])).toEqual([
      [3, 'not valid JSON: Ex'],
      [5, 'not a JSON object'],
    ])
  })

  it('refuses unknown formats and missing files by name', async () => {
    await expect(previewTable('/nonexistent/x.csv')).rejects.toThrow(/\/nonexistent\/x\.csv: no such file/)
    await expect(previewTable('/etc/hostname.xlsx')).rejects.toThrow(/unknown table format "\.xlsx"/)
  })
})
