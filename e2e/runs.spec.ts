// The run history in the web host: runs created through the API, filtered with
// the filter language, two compared (only the differing parameter shown),
// tagged, archived and deleted.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { apiPost, ARTIFACTS, useWebHost } from './support/web-host'

const session = useWebHost()
const post = async (name: string, body: unknown) => (await apiPost(session.host, name, body)).json

describe('Runs page', () => {
  it('filters, compares two runs showing only the differing params, tags, archives and deletes', async () => {
    const ids: number[] = []
    for (const steps of [2, 3, 4]) ids.push((await post('jobs.start', { kind: 'engine-selftest', params: { steps, intervalMs: 0, vectorLength: 4096 } })).result.runId)
    for (let i = 0; i < 100; i++) {
      const runs = (await post('runs.list', {})).result as { status: string }[]
      if (runs.filter((r) => r.status === 'completed').length === 3) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const { page, problems } = await session.openPage('runs', 1300)
    page.on('dialog', (d) => void d.accept())
    const count = page.getByTestId('run-count')
    await expect.poll(() => count.textContent(), { timeout: 20_000 }).toBe('3 runs')

    await page.getByLabel('filter runs').fill('params.steps >= 3 and status = completed')
    await page.getByLabel('filter runs').press('Enter')
    await expect.poll(() => count.textContent()).toBe('2 runs')
    await page.getByLabel('filter runs').fill('params.steps >')
    await page.getByLabel('filter runs').press('Enter')
    await expect.poll(() => page.locator('p.error').textContent()).toMatch(/expected a value after ">"/)
    await page.getByLabel('filter runs').fill('')
    await page.getByLabel('filter runs').press('Enter')
    await expect.poll(() => count.textContent()).toBe('3 runs')

    // Sort by clicking a header (ID: newest first, then ascending).
    const firstRow = () => page.locator('[data-run-id]').first().getAttribute('data-run-id')
    expect(await firstRow()).toBe(String(ids[2]))
    await page.getByRole('columnheader', { name: 'ID' }).click()
    await expect.poll(firstRow).toBe(String(ids[0]))

    // Extra columns come from SQL, per run.
    await page.getByLabel('columns').fill('params.steps, metrics.max_rel_error')
    await page.getByLabel('columns').press('Enter')
    await expect.poll(() => page.locator(`[data-run-id="${ids[1]}"] [data-col="params.steps"]`).textContent()).toBe('3')

    await page.getByLabel(`check run ${ids[0]}`).check()
    await page.getByLabel(`check run ${ids[1]}`).check()
    await page.getByRole('button', { name: 'Compare' }).click()
    const compare = page.getByTestId('compare')
    await compare.locator('[data-testid="compare-params"] tr[data-param]').first().waitFor()
    expect(await compare.locator('[data-testid="compare-params"] tr[data-param]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-param')))).toEqual(['steps'])
    expect(await compare.textContent()).toMatch(/2 identical ones hidden/)
    await page.getByLabel('show all parameters').check()
    await expect.poll(() => compare.locator('[data-testid="compare-params"] tr[data-param]').count()).toBe(3)
    await compare.locator('figure[data-metric="max_rel_error"] .recharts-line').first().waitFor()
    expect(await compare.locator('figure[data-metric="max_rel_error"] .recharts-line').count()).toBe(2)
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'runs-compare.png'), fullPage: true })
    await compare.getByRole('button', { name: 'Close' }).click()

    // Export the two checked runs as CSV: one header and two rows.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
    const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\n')
    expect(csv).toHaveLength(3)
    expect(csv[0]).toMatch(/^id,kind,name,status,created,params\.intervalMs,params\.steps,params\.vectorLength,metrics\./)

    // Tags and notes, then the filter finds the tag.
    await page.locator(`[data-run-id="${ids[2]}"]`).click()
    expect(await page.getByTestId('run-system').textContent()).toMatch(/kernels \w+ · \d+ threads · CPU .*node 20/)
    await page.getByLabel('tags').fill('baseline seed-study')
    await page.getByLabel('notes').fill('**first** try')
    await page.getByRole('button', { name: 'Save notes and tags' }).click()
    await expect.poll(async () => (await post('runs.get', { id: ids[2] })).result.tags).toEqual(['baseline', 'seed-study'])
    await expect.poll(() => page.getByTestId('notes-preview').locator('strong').textContent()).toBe('first') // markdown rendered
    await page.getByLabel('filter runs').fill('tag = baseline')
    await page.getByLabel('filter runs').press('Enter')
    await expect.poll(() => count.textContent()).toBe('1 runs')
    await page.getByLabel('filter runs').fill('')
    await page.getByLabel('filter runs').press('Enter')

    // Archive hides; delete removes (after a confirm dialog). Filtering cleared the checks of hidden runs.
    await expect.poll(() => count.textContent()).toBe('3 runs')
    await page.getByLabel(`check run ${ids[0]}`).check()
    await page.getByRole('button', { name: 'Archive' }).click()
    await expect.poll(() => count.textContent()).toBe('2 runs')
    await page.getByLabel(`check run ${ids[1]}`).check()
    await page.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => count.textContent()).toBe('1 runs')
    expect((await post('runs.get', { id: ids[1] })).error.code).toBe('not_found')
    expect((await post('runs.list', { archived: 'only' })).result.map((r: { id: number }) => r.id)).toEqual([ids[0]])
    expect(problems).toEqual([])
    await page.close()
  })
})
