import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { sharedData, tempDataDir } from '../../../test-support/services'
import { loadGlueTsv } from './glue'

const DATA = sharedData()

const balance = (labels: (number | null)[]) => labels.reduce<Record<string, number>>((m, l) => ((m[String(l)] = (m[String(l)] ?? 0) + 1), m), {})

describe('GLUE TSV loader', () => {
  it('reads the MRPC split exactly: BOM, tabs, unbalanced quotes', () => {
    const train = loadGlueTsv('mrpc', path.join(DATA, 'mrpc/train.tsv'))
    const dev = loadGlueTsv('mrpc', path.join(DATA, 'mrpc/dev.tsv'))
    const test = loadGlueTsv('mrpc', path.join(DATA, 'mrpc/msr_paraphrase_test.txt'))
    for (const s of [train, dev, test]) expect(s.problems).toEqual([])
    expect([train.examples.length, dev.examples.length, test.examples.length]).toEqual([3668, 408, 1725])
    expect(balance(train.examples.map((e) => e.label))).toEqual({ '1': 2474, '0': 1194 })
    expect(balance(dev.examples.map((e) => e.label))).toEqual({ '1': 279, '0': 129 })
    expect(balance(test.examples.map((e) => e.label))).toEqual({ '1': 1147, '0': 578 })
    expect(dev.examples[0]).toMatchObject({ label: 1, line: 2, b: '" The foodservice pie business does not fit our long-term growth strategy .' })
    const unlabelled = loadGlueTsv('mrpc', path.join(DATA, 'mrpc/test.tsv'))
    expect(unlabelled.examples.length).toBe(1725)
    expect(unlabelled.examples.every((e) => e.label === null)).toBe(true)
  })

  it('reads RTE (string labels), CoLA (no header, no trailing newline) and SST-2 dev sets', () => {
    const rte = loadGlueTsv('rte', path.join(DATA, 'glue/RTE/dev.tsv'))
    const cola = loadGlueTsv('cola', path.join(DATA, 'glue/CoLA/dev.tsv'))
    const sst2 = loadGlueTsv('sst2', path.join(DATA, 'glue/SST-2/dev.tsv'))
    for (const s of [rte, cola, sst2]) expect(s.problems).toEqual([])
    expect(balance(rte.examples.map((e) => e.label))).toEqual({ '0': 146, '1': 131 })
    expect(balance(cola.examples.map((e) => e.label))).toEqual({ '1': 721, '0': 322 })
    expect(balance(sst2.examples.map((e) => e.label))).toEqual({ '1': 444, '0': 428 })
    expect(cola.examples[0]).toMatchObject({ a: 'The sailors rode the breeze clear of the rocks.', b: null, label: 1, line: 1 })
  })

  it('reports bad rows with their line instead of dropping them silently', () => {
    const file = path.join(tempDataDir('glue'), 'dev.tsv')
    fs.writeFileSync(file, 'sentence\tlabel\ngood one\t1\nmissing label\nweird\t7\nfine\t0\n')
    const s = loadGlueTsv('sst2', file)
    expect(s.examples.map((e) => e.a)).toEqual(['good one', 'fine'])
    expect(s.problems).toEqual([
      { line: 3, reason: 'expected 2 tab-separated columns, found 1' },
      { line: 4, reason: 'label "7" is not one of 0..1' },
    ])
    fs.writeFileSync(file, 'text\tlabel\nx\t1\n')
    expect(() => loadGlueTsv('sst2', file)).toThrow(/no "sentence" column for GLUE sst2/)
  })
})
