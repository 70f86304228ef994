// Issue 5, item 5: learning is real. A random-init TinyBERT-4L trained from scratch on the
// synthetic paraphrase task reaches ≥ 95 % dev accuracy on pairs built from MRPC dev sentences
// (never seen in training). About 6.5 minutes on 2 cores. 4500 steps: at 2000 the result sat
// at 94–95 %, at 3000 at 95.25–95.75 % (one dev pair above the threshold) and at 4000 at 96 %, where
// a change in summation order moves it by a pair or two.
import fs from 'node:fs'
import { expect, it } from 'vitest'
import { sharedData } from '../../../test-support/services'
import { LEARN_DEFAULTS, learnSynthetic } from './learn-synthetic'

it('a random-init TinyBERT-4L learns the synthetic paraphrase task to ≥ 95 % dev accuracy', async () => {
  const { result, workDir } = await learnSynthetic({ ...LEARN_DEFAULTS, evalEvery: 0, sharedData: sharedData(), log: (line) => console.log(`learn-synthetic: ${line}`) })
  fs.rmSync(workDir, { recursive: true, force: true })
  console.log(`learn-synthetic: dev accuracy ${result.metrics.accuracy.toFixed(4)}, F1 ${result.metrics.f1.toFixed(4)} after ${result.steps} steps`)
  expect(result.steps).toBe(LEARN_DEFAULTS.steps)
  expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.95)
}, 900_000)
