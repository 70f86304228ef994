// The Sweeps page in the web host: a config validated as it is typed (the error
// names the key), a small random sweep of 3 short trials, its trials table,
// best run, parallel coordinates and importance, then the best configuration
// handed to the Fine-tune wizard.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { initRandomCheckpoint } from '../src-main/engine/bert/init-checkpoint'
import { sharedData, tempDataDir } from '../test-support/services'
import { ARTIFACTS, useWebHost } from './support/web-host'

const modelDir = path.join(tempDataDir('e2e-sweep-model'), 'tinybert-random')

const session = useWebHost(() => {
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: sharedData('vocab', 'bert-base-uncased-vocab.txt'), outDir: modelDir, seed: 9 })
})

describe('Sweeps page', () => {
  it('validates as you type, runs 3 short trials, and fine-tunes with the best configuration', async () => {
    const { page, problems } = await session.openPage('sweeps', 1500)
    const check = page.getByTestId('sweep-check')
    await expect.poll(() => check.textContent(), { timeout: 20_000 }).toMatch(/^ok · random over optimizer → optimizer, learning_rate → lr/) // the seed study's sweep
    const config = page.getByLabel('sweep config')
    await config.fill('method: random\nmetric: {name: eval/accuracy, goal: maximize}\nparameters:\n  dropout: {values: [0.1]}\n')
    await expect.poll(() => check.textContent()).toMatch(/^parameters\.dropout: the trainer has no option "dropout"/)
    await config.fill('method: random\nmetric: {name: eval/accuracy, goal: maximize}\nrun_cap: 3\nparameters:\n  lora_r: {values: [4, 8, 16]}\n  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-3}\n')
    await expect.poll(() => check.textContent()).toMatch(/^ok · random over lora_r → loraR, learning_rate → lr · 3 trials/)
    await page.getByLabel('sweep model').fill(modelDir)
    await page.getByLabel('sweep data').fill(sharedData('mrpc'))
    await page.getByLabel('fixed options').fill('maxSteps=2\nbatchSize=8\nlimitTrain=32\nlimitEval=16\nmaxLength=48\nevalEvery=1')
    await page.getByRole('button', { name: 'Launch sweep' }).click()
    const trials = page.getByTestId('trials')
    await expect.poll(() => trials.locator('tbody tr').count(), { timeout: 60_000 }).toBe(3)
    await expect.poll(() => trials.locator('.status-completed').count(), { timeout: 90_000 }).toBe(3)
    await expect.poll(() => page.getByTestId('sweep-best').count(), { timeout: 20_000 }).toBe(1)
    expect(await page.locator('[data-testid="parallel-coordinates"] polyline.pc-line').count()).toBe(3)
    expect(await page.getByTestId('importance').textContent()).toMatch(/lora_r/)
    await page.getByLabel('extra objectives').fill('eval/latency_ms:minimize, model/trainable_params:minimize')
    await expect.poll(() => trials.getByText('Pareto').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'sweeps-page.png'), fullPage: true })
    const bestR = Number(/lora_r=(\d+)/.exec((await page.getByTestId('sweep-best').textContent())!)![1])
    await page.getByRole('button', { name: 'Fine-tune with the best configuration' }).click()
    await expect.poll(() => page.getByLabel('LoRA r').inputValue()).toBe(String(bestR))
    expect(await page.getByLabel('Model folder').inputValue()).toBe(modelDir)
    expect(problems).toEqual([])
    await page.close()
  })
})
