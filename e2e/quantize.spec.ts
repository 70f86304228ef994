// Quantize & export and Benchmarks in the web host: an nf4 model folder, the size report chart,
// an ONNX export checked in ONNX Runtime, and a small bench matrix drawn as latency-by-batch and
// trade-off charts with its table.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { initRandomCheckpoint } from '../src-main/engine/bert/init-checkpoint'
import { sharedData, tempDataDir } from '../test-support/services'
import { ARTIFACTS, useWebHost } from './support/web-host'

const modelDir = path.join(tempDataDir('e2e-quant-model'), 'tinybert-random')

const session = useWebHost(() => {
  initRandomCheckpoint({ preset: 'tinybert-4l-312d', vocabFile: sharedData('vocab', 'bert-base-uncased-vocab.txt'), outDir: modelDir, seed: 4 })
})

describe('Quantize & export page', () => {
  it('quantizes to nf4, draws the size report and exports ONNX that matches the workbench', async () => {
    const { page, problems } = await session.openPage('quantize', 1800)
    await page.getByLabel('Model folder').fill(modelDir)
    await page.getByRole('button', { name: 'Quantize', exact: true }).click()
    await expect.poll(() => page.getByTestId('quantize-result').count(), { timeout: 60_000 }).toBe(1)
    expect(await page.getByTestId('quantize-result').textContent()).toMatch(/tinybert-random-nf4: 20\.\d\d MiB, 2\.\d\d× smaller/)
    expect(fs.existsSync(path.join(`${modelDir}-nf4`, 'model.safetensors'))).toBe(true)

    await page.getByRole('button', { name: 'Measure sizes' }).click()
    await expect.poll(() => page.getByTestId('size-report').count(), { timeout: 90_000 }).toBe(1)
    expect(await page.locator('[data-chart="sizes"] .recharts-bar-rectangle').count()).toBe(7)
    expect(await page.getByTestId('size-report').textContent()).toMatch(/21\.1\d MiB here/)

    await page.getByLabel('Export output').fill(path.join(tempDataDir('e2e-export'), 'model.onnx'))
    await page.getByRole('button', { name: 'Export', exact: true }).click()
    await expect.poll(() => page.getByTestId('export-result').count(), { timeout: 60_000 }).toBe(1)
    const diff = Number(/difference from the workbench: ([\d.e+-]+)/.exec((await page.getByTestId('export-result').textContent())!)![1])
    expect(diff).toBeLessThanOrEqual(1e-4)
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'quantize-page.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })
})

describe('Benchmarks page', () => {
  it('runs a small matrix and draws latency by batch size, the trade-off and the table', async () => {
    const { page, problems } = await session.openPage('benchmarks', 1600)
    await page.getByLabel('Model folder').fill(modelDir)
    await page.getByLabel('Dataset folder').fill(sharedData('mrpc'))
    for (const v of ['native-fp32-naive', 'native-nf4', 'ort-int8']) await page.getByLabel(`variant ${v}`).uncheck()
    await page.getByLabel('Batch sizes').fill('1,4')
    await page.getByLabel('Sequences').fill('16')
    await page.getByLabel('Iterations').fill('2')
    await page.getByLabel('Profile calls').fill('2')
    await page.getByRole('button', { name: 'Run benchmark' }).click()
    await expect.poll(() => page.getByTestId('bench-table').locator('tbody tr').count(), { timeout: 180_000 }).toBe(6)
    // The charts draw once their container has been measured, which can be a frame after the table.
    await expect.poll(() => page.locator('[data-chart="latency-by-batch"] .recharts-line').count()).toBe(3)
    await expect.poll(() => page.locator('[data-chart="trade-off"] .recharts-scatter').count()).toBe(3)
    expect(await page.getByTestId('bench-results').textContent()).toMatch(/native-fp32 \/ ort-fp32 at batch 4: [\d.]+× latency/)
    await page.screenshot({ path: path.join(ARTIFACTS, 'benchmarks-page.png'), fullPage: true })
    // The bench is a run: from the Runs page it opens back in Benchmarks.
    const runId = Number(/Run (\d+);/.exec((await page.getByTestId('bench-results').textContent())!)![1])
    await page.getByRole('button', { name: 'Runs', exact: true }).click()
    await page.locator(`[data-run-id="${runId}"]`).click()
    // Its native variants were profiled: a profile opens in Traces, linked back to the bench run.
    await page.getByRole('button', { name: 'Open the native-int8 profile in Traces' }).click()
    await page.getByTestId('timeline-canvas').waitFor({ timeout: 60_000 })
    expect(await page.getByTestId('trace-view').textContent()).toMatch(new RegExp(`Recorded by run ${runId}\\.`))
    await page.getByLabel('search events').fill('bench call')
    await expect.poll(() => page.getByTestId('match-count').textContent()).toBe('2 matches') // the active calls
    await page.getByRole('button', { name: `Open run ${runId} in Runs` }).click()
    await expect.poll(() => page.getByTestId('run-detail').locator('h2').textContent()).toMatch(new RegExp(`^Run ${runId}:`))
    await page.getByRole('button', { name: 'Open in Benchmarks' }).click()
    await expect.poll(() => page.getByTestId('bench-table').locator('tbody tr').count(), { timeout: 20_000 }).toBe(6)
    expect(await page.getByTestId('bench-results').textContent()).toMatch(new RegExp(`Run ${runId};`))
    expect(problems).toEqual([])
    await page.close()
  })
})
