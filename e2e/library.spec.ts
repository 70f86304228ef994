// The Models and Datasets pages in headless Chromium against the built web
// host: open a seeded random TinyBERT checkpoint and the real MRPC folder.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { initRandomCheckpoint } from '../src-main/engine/bert/init-checkpoint'
import { WordPieceTokenizer } from '../src-main/engine/tokenizer/wordpiece'
import { sharedData, tempDataDir } from '../test-support/services'
import { ARTIFACTS, useWebHost } from './support/web-host'

const DATA = sharedData()
const modelDir = path.join(tempDataDir('e2e-model'), 'tinybert-random')

const session = useWebHost(() => {
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: path.join(DATA, 'vocab/bert-base-uncased-vocab.txt'), outDir: modelDir, seed: 3 })
})

const openPage = (hash: string) => session.openPage(hash, 1000)

describe('Models and Datasets pages', () => {
  it('opens the random TinyBERT checkpoint: architecture, parameters, size, random-weights warning, tokenizer preview', async () => {
    const { page, problems } = await openPage('models')
    await page.getByLabel('Model folder').fill(modelDir)
    await page.getByRole('button', { name: 'Open', exact: true }).click()
    const card = page.getByTestId('model-card')
    await card.waitFor({ timeout: 20_000 })
    expect(await card.locator('[data-fact="Layers"]').textContent()).toBe('4')
    expect(await card.locator('[data-fact="Heads"]').textContent()).toBe('12 × 26')
    expect(await card.locator('[data-fact="Parameters"]').textContent()).toBe('14,350,874 in the file')
    expect(await card.locator('[data-fact="Weights"]').textContent()).toMatch(/^model\.safetensors · 54\.7\d MiB · F32 14,350,874$/)
    expect(await page.getByTestId('random-weights').textContent()).toMatch(/RANDOM \(seeded init, seed 3\)/)

    await page.getByLabel('sentence A').fill('Héllo, WORLD!')
    await page.getByLabel('sentence B').fill('unaffable')
    await page.getByRole('button', { name: 'Tokenize' }).click()
    const tokens = page.getByTestId('tokens')
    await tokens.waitFor()
    // The page shows exactly what the tokenizer (checked against Hugging Face's in unit tests) gives.
    const want = WordPieceTokenizer.fromModelDir(modelDir).encode('Héllo, WORLD!', 'unaffable', 128)
    expect(await tokens.locator('.token').allTextContents()).toEqual(want.tokens)
    expect(want.tokens.slice(0, 6)).toEqual(['[CLS]', 'hello', ',', 'world', '!', '[SEP]'])
    expect(await tokens.locator('.token.seg1').count()).toBe(want.tokenTypeIds.filter((t) => t === 1).length)
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'models-page.png'), fullPage: true })

    await page.getByLabel('Model folder').fill(path.join(DATA, 'vocab'))
    await page.getByRole('button', { name: 'Open', exact: true }).click()
    await page.locator('p.error').waitFor()
    expect(await page.locator('p.error').textContent()).toMatch(/no config\.json/)
    expect(problems).toEqual([])
    await page.close()
  })

  it('opens the MRPC folder: three splits with counts, label balance and token-length histograms', async () => {
    // Open the model first: the Datasets page then counts lengths in its tokens.
    const { page, problems } = await openPage('models')
    await page.getByLabel('Model folder').fill(modelDir)
    await page.getByRole('button', { name: 'Open', exact: true }).click()
    await page.getByTestId('model-card').waitFor({ timeout: 20_000 })
    await page.getByRole('button', { name: 'Datasets', exact: true }).click()
    await page.getByLabel('Dataset folder').fill(path.join(DATA, 'mrpc'))
    await page.getByRole('button', { name: 'Open folder' }).click()
    await page.getByTestId('dataset-view').waitFor({ timeout: 30_000 })
    const counts: Record<string, string | null> = {}
    for (const split of ['train', 'validation', 'test']) counts[split] = await page.locator(`[data-split="${split}"] [data-testid="split-examples"]`).textContent()
    expect(counts).toEqual({ train: '3,668', validation: '408', test: '1,725' })
    expect(await page.locator('[data-split="train"]').textContent()).toMatch(/tokens: mean \d+\.\d/)
    // recharts drew one bar per label and a histogram.
    expect(await page.locator('[data-split="validation"] [data-chart="labels"] .recharts-bar-rectangle').count()).toBe(2)
    expect(await page.locator('[data-split="train"] [data-chart="lengths"] .recharts-bar-rectangle').count()).toBeGreaterThan(5)
    await page.screenshot({ path: path.join(ARTIFACTS, 'datasets-page.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })

  it('previews a user CSV, maps its columns and reports the rows it cannot use', async () => {
    const file = path.join(tempDataDir('e2e-csv'), 'mine.csv')
    fs.writeFileSync(file, 'text,other,sentiment\n"good, very",x,pos\nbad,y,neg\n,z,neg\nok,w\n')
    const { page, problems } = await openPage('datasets')
    await page.getByLabel('Your own file').fill(file)
    await page.getByRole('button', { name: 'Preview file' }).click()
    const step = page.getByTestId('mapping-step')
    await step.waitFor({ timeout: 20_000 })
    expect(await step.textContent()).toMatch(/line 5: expected 3 columns, found 2/)
    expect(await page.getByLabel('column for Text A').inputValue()).toBe('text')
    await page.getByLabel('column for Label').selectOption('sentiment')
    await page.getByRole('button', { name: 'Load with this mapping' }).click()
    await page.getByTestId('dataset-view').waitFor()
    expect(await page.getByTestId('dataset-view').locator('h2').textContent()).toBe('Custom dataset · 2 classes (neg, pos)')
    expect(await page.locator('[data-testid="split-examples"]').textContent()).toBe('2')
    expect(await page.locator('.split-card details.warning').textContent()).toMatch(/2 rows not used.*line 5: expected 3 columns.*line 4: empty text/s)
    expect(problems).toEqual([])
    await page.close()
  })
})
