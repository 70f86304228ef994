// The size report on a TinyBERT 4L-312D-shaped checkpoint (seeded random weights): the seed
// study's 54.74 MB fp32 and 21.19 MB QLoRA model, and our smaller policies.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { sharedData } from '../../../test-support/services'
import { initRandomCheckpoint } from '../bert/init-checkpoint'
import { sizeReport } from './size-report'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-size-test-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

it('reproduces the seed sizes: fp32 54.74 MiB, the QLoRA model 21.19 ± 0.1 MiB; int8/nf4 policies are smaller', { timeout: 120_000 }, () => {
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: sharedData('vocab', 'bert-base-uncased-vocab.txt'), outDir: dir, seed: 3 })
  const r = sizeReport(dir)
  const row = (p: string) => r.rows.find((x) => x.policy === p)!
  expect(r.parameters).toBe(14_350_874)
  expect(row('fp32').weightsMiB).toBeCloseTo(54.74, 2)
  expect(row('fp16').weightsMiB).toBeCloseTo(54.74 / 2, 2)
  // bnb-nf4 weights: 4,650,048 linear weights at half a byte, 9,700,826 others at 2 bytes
  expect(row('bnb-nf4').weightsMiB * 1024 * 1024).toBe(4_650_048 / 2 + 9_700_826 * 2)
  expect(Math.abs(r.seedQlora.totalMiB - 21.19)).toBeLessThan(0.1)
  expect(r.seedQlora.loraParams).toBe(119_808)
  expect(row('nf4+emb8').diskMiB).toBeLessThan(row('int8+emb8').diskMiB)
  expect(row('int8+emb8').diskMiB).toBeLessThan(row('int8').diskMiB)
  for (const x of r.rows) expect(x.diskMiB).toBeGreaterThanOrEqual(x.weightsMiB)
  expect(row('nf4+emb8').memoryMiB).toBeLessThan(row('fp32').memoryMiB / 3)
})
