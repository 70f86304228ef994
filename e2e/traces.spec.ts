// The Traces page in headless Chromium: import the seed study's profiler trace
// (a job with progress), read its summary, operator and kernel tables, and diff
// it against the CPU-only run of the same model.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { sharedData } from '../test-support/services'
import { ARTIFACTS, useWebHost } from './support/web-host'

const session = useWebHost()

describe('Traces page', () => {
  it('imports the shared trace and shows its summary, operator and kernel tables, and a diff', async () => {
    const { page, problems } = await session.openPage('traces', 1200)
    await page.getByLabel('Trace file').fill(sharedData('traces', 'base_model_profiler.pt.trace.json'))
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.locator('[data-testid="trace-view"]').waitFor({ timeout: 30_000 }).catch(() => undefined)
    await page.getByLabel('Trace file').fill(sharedData('traces', 'fine_tuned_profiler.pt.trace.json'))
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    const view = page.getByTestId('trace-view')
    await expect.poll(async () => (await view.count()) && (await view.locator('[data-fact="Device"]').textContent()), { timeout: 30_000 }).toBe('Tesla T4')
    await expect.poll(() => view.locator('h2').first().textContent()).toMatch(/fine_tuned_profiler/)
    expect(await view.locator('[data-fact="Events"]').textContent()).toBe('3,263')
    expect(await view.locator('[data-fact="CUDA flows (ac2g)"]').textContent()).toBe('90 starts / 92 finishes')
    expect(await view.locator('[data-fact="GPU kernel time"]').textContent()).toBe('1.186 ms')
    expect(await view.locator('[data-fact="GPU idle"]').textContent()).toMatch(/^9\d\.\d% of \d+\.\d{3} ms \(device 0\)$/)
    expect(await view.locator('[data-fact="Launch → kernel start"]').textContent()).toMatch(/over 87 launches/)
    expect(await page.locator('[data-testid="op-table"] tr[data-op="aten::addmm"] td').nth(6).textContent()).toBe('26')
    expect(await page.getByTestId('kernel-table').textContent()).toMatch(/fmha_cutlassF_f32_aligned_64x64_rf_sm75/)
    await page.getByLabel('filter operators').fill('layer_norm')
    expect(await page.locator('[data-testid="op-table"] tbody tr').count()).toBeGreaterThan(0)
    expect(await page.locator('[data-testid="op-table"] tbody tr[data-op="aten::addmm"]').count()).toBe(0)
    // Timeline: find the attention kernel, zoom to it, select it and read its args.
    const timeline = page.getByTestId('timeline')
    await timeline.waitFor()
    expect(await timeline.textContent()).toMatch(/flows \(\d{2}\)/)
    expect(await page.getByTestId('counter-tracks').textContent()).toMatch(/memory cuda:0 Total Allocated \(max 6\d\.\dM\)/) // the T4's memory counter
    await page.getByLabel('search events').fill('fmha_cutlassF')
    expect(await page.getByTestId('match-count').textContent()).toBe('4 matches')
    await page.getByRole('button', { name: 'Next match' }).click()
    const selection = page.getByTestId('selection')
    expect(await selection.locator('b').textContent()).toMatch(/^fmha_cutlassF_f32_aligned_64x64_rf_sm75/)
    expect(await selection.textContent()).toMatch(/kernel/)
    expect(await selection.locator('pre').textContent()).toMatch(/"correlation"/)
    const canvas = page.getByTestId('timeline-canvas')
    const before = await canvas.getAttribute('data-view')
    await canvas.focus()
    await page.keyboard.press('w') // zoom in, as in Perfetto
    expect(await canvas.getAttribute('data-view')).not.toBe(before)
    // Clicking the kernel on the canvas selects it; clicking the track labels clears the selection.
    await page.getByRole('button', { name: 'Reset zoom' }).click()
    await page.getByRole('button', { name: 'Next match' }).click() // zooms to the next kernel
    // The page asks the main process for each view's window: click once this view's slices are in.
    await expect.poll(async () => (await canvas.getAttribute('data-ready')) === (await canvas.getAttribute('data-view'))).toBe(true)
    expect(await canvas.getAttribute('data-level')).toBe('0') // zoomed to one kernel: the events themselves
    const [sx, sy] = [Number(await canvas.getAttribute('data-sel-x')), Number(await canvas.getAttribute('data-sel-y'))]
    await page.getByLabel('search events').fill('')
    await canvas.click({ position: { x: 10, y: 2 } })
    expect(await selection.count()).toBe(0)
    await canvas.click({ position: { x: sx, y: sy } })
    expect(await page.getByTestId('selection').locator('b').textContent()).toMatch(/^fmha_cutlassF/)
    await page.screenshot({ path: path.join(ARTIFACTS, 'traces-timeline.png'), fullPage: false })
    // Compare with the CPU-only trace of the same model.
    const baseRun = await page.locator('tr[data-trace-run]').filter({ hasText: 'base_model_profiler' }).getAttribute('data-trace-run')
    await page.getByLabel(`compare with run ${baseRun}`).check()
    const diff = page.getByTestId('op-diff')
    await diff.waitFor()
    expect(await diff.locator('tr[data-diff-op="aten::addmm"]').count()).toBe(1)
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'traces-page.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })
})
