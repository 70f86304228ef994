import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { sharedData, tempDataDir } from '../../../test-support/services'
import { loadGlue } from '../data/glue'
import { writeSyntheticParaphrase } from './synthetic-paraphrase'

describe('synthetic paraphrase task', () => {
  it('writes balanced MRPC-format pairs: near-copies vs different sentences, dev from other sentences', async () => {
    const sentences = async (f: string) => (await loadGlue('mrpc', sharedData('mrpc', f))).examples.flatMap((e) => [e.a, e.b!])
    const dir = tempDataDir('synthetic')
    writeSyntheticParaphrase(await sentences('train.tsv'), await sentences('dev.tsv'), dir, { train: 2000, dev: 300, maxWords: 6, seed: 3 })
    const train = await loadGlue('mrpc', path.join(dir, 'train.tsv'))
    const dev = await loadGlue('mrpc', path.join(dir, 'dev.tsv'))
    expect([train.examples.length, dev.examples.length, train.problems.length]).toEqual([2000, 300, 0])
    const positives = train.examples.filter((e) => e.label === 1)
    expect(positives.length / 2000).toBeGreaterThan(0.45)
    expect(positives.length / 2000).toBeLessThan(0.55)
    // A positive differs from its sentence by one dropped, swapped or replaced word.
    for (const e of positives) {
      const a = e.a.split(' ')
      const b = e.b!.split(' ')
      expect(b.length === a.length || b.length === a.length - 1).toBe(true)
      expect(a.filter((w) => b.includes(w)).length).toBeGreaterThanOrEqual(a.length - 1)
    }
    expect(train.examples.filter((e) => e.label === 0).every((e) => e.a !== e.b)).toBe(true)
    const trainSentences = new Set(train.examples.map((e) => e.a))
    expect(dev.examples.filter((e) => trainSentences.has(e.a)).length).toBeLessThan(10) // MRPC dev sentences, not train ones
    const again = tempDataDir('synthetic-again') // seeded: the same files again
    writeSyntheticParaphrase(await sentences('train.tsv'), await sentences('dev.tsv'), again, { train: 2000, dev: 300, maxWords: 6, seed: 3 })
    expect(fs.readFileSync(path.join(again, 'train.tsv'))).toEqual(fs.readFileSync(path.join(dir, 'train.tsv')))
  })
})
