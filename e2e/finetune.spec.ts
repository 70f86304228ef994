// A short fine-tune end to end in the web host: the wizard shows the seed's
// defaults and trainable parameters, runs a few LoRA steps on MRPC with live
// charts, and the finished run opens in Runs with its curves.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { initRandomCheckpoint } from '../src-main/engine/bert/init-checkpoint'
import { sharedData, tempDataDir } from '../test-support/services'
import { ARTIFACTS, useWebHost } from './support/web-host'

const DATA = sharedData()
const modelDir = path.join(tempDataDir('e2e-ft-model'), 'tinybert-random')

const session = useWebHost(() => {
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: path.join(DATA, 'vocab/bert-base-uncased-vocab.txt'), outDir: modelDir, seed: 5 })
})

describe('Fine-tune wizard', () => {
  it('runs a short LoRA fine-tune with live charts and opens it in Runs', async () => {
    const { page, problems } = await session.openPage('finetune', 1400)
    await page.getByTestId('seed-source').waitFor({ timeout: 20_000 })
    // The seed study's defaults are the form's.
    expect(await page.getByLabel('LoRA r').inputValue()).toBe('16')
    expect(await page.getByLabel('LoRA alpha').inputValue()).toBe('16')
    expect(await page.getByLabel('LoRA dropout').inputValue()).toBe('0.05')
    expect(await page.getByLabel('Learning rate').inputValue()).toBe('0.00039')
    expect(await page.getByLabel('Schedule').inputValue()).toBe('polynomial')
    expect(await page.getByLabel('Batch size').inputValue()).toBe('128')
    expect(await page.getByLabel('Gradient accumulation').inputValue()).toBe('2')
    expect(await page.getByLabel('Max steps').inputValue()).toBe('300')
    expect(await page.getByLabel('target query').isChecked()).toBe(true)
    expect(await page.getByLabel('target intermediate.dense').isChecked()).toBe(false)

    await page.getByLabel('Model folder').fill(modelDir)
    await page.getByLabel('Dataset folder').fill(path.join(DATA, 'mrpc'))
    await expect.poll(() => page.getByTestId('trainable').textContent(), { timeout: 20_000 }).toBe('120,434')

    for (const [label, value] of [
      ['Batch size', '8'],
      ['Gradient accumulation', '1'],
      ['Max steps', '6'],
      ['Evaluate every', '3'],
      ['Checkpoint every', '3'],
      ['Use first N train examples', '48'],
      ['Use first N eval examples', '24'],
      ['Max length', '64'],
    ])
      await page.getByLabel(label, { exact: true }).fill(value)
    await page.getByRole('button', { name: 'Start fine-tuning' }).click()
    const live = page.getByTestId('live-run')
    await live.waitFor()
    await page.locator('[data-testid="live-run"][data-status="completed"]').waitFor({ timeout: 120_000 })
    expect(await live.locator('[data-metric="train/loss"] .recharts-line-curve').count()).toBe(1)
    expect(await live.locator('[data-metric="eval/accuracy"]').count()).toBe(1)
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'finetune-wizard.png'), fullPage: true })

    await page.getByRole('button', { name: 'Open in Runs' }).click()
    const detail = page.getByTestId('run-detail')
    await detail.waitFor()
    expect(await detail.locator('h2').textContent()).toMatch(/^Run \d+: finetune/)
    expect(await detail.locator('[data-metric="eval/f1"]').count()).toBe(1)
    expect(problems).toEqual([])
    await page.close()
  })
})
