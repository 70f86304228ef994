// The workbench in headless Chromium against `npm run serve`'s built host.
import fs from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiPost, ARTIFACTS, launchChromium, startServe, type RunningHost } from './support/web-host'

let host: RunningHost
let browser: Browser

beforeAll(async () => {
  host = await startServe()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await host?.stop()
})

const post = (name: string, body: unknown, token = host.token) => apiPost(host, name, body, token)

function wsOutcome(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.close()
      resolve('open')
    })
    ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`))
    ws.on('error', (err) => resolve(`error ${err.message}`))
  })
}

async function openApp(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(host.url)
  await page.getByTestId('kernel-variant').waitFor({ timeout: 20_000 })
  return { page, problems }
}

describe('web host security', () => {
  it('prints a loopback URL with a token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
  })

  it('refuses requests and sockets without the right token', async () => {
    expect((await fetch(`${host.origin}/`)).status).toBe(401)
    expect((await fetch(`${host.origin}/?token=wrong`)).status).toBe(401)
    expect((await post('runs.list', {}, 'wrong')).status).toBe(401)
    expect(await wsOutcome(`${host.origin.replace('http', 'ws')}/ws`)).toBe('http 401')
    expect(await wsOutcome(`${host.origin.replace('http', 'ws')}/ws?token=nope`)).toBe('http 401')
    expect(await wsOutcome(`${host.origin.replace('http', 'ws')}/ws?token=${host.token}`)).toBe('open')
    // A foreign page's origin is refused even with the token.
    expect(await wsOutcome(`${host.origin.replace('http', 'ws')}/ws?token=${host.token}`, { Origin: 'http://evil.example' })).toBe('http 403')
  })

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const http = await import('node:http')
    const status = await new Promise<number>((resolve) => {
      const port = Number(new URL(host.origin).port)
      http.get({ host: '127.0.0.1', port, path: `/?token=${host.token}`, headers: { Host: `evil.example:${port}` } }, (res) => resolve(res.statusCode!))
    })
    expect(status).toBe(421)
  })

  it('a malformed command gets an error naming the field', async () => {
    const bad = await post('jobs.start', { kind: 'engine-selftest', params: { steps: 'many' } })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toMatch(/params\.steps/)
    expect(bad.json.error.fields[0].path).toBe('params.steps')
    const runs = await post('runs.list', {})
    expect(runs.json.result).toEqual([]) // the bad command never created a run
    expect((await post('nope.nothing', {})).status).toBe(404)
  })

  it('serves the renderer with a strict CSP', async () => {
    const res = await fetch(host.url)
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toContain('unsafe')
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/)
  })
})

describe('workbench in the browser', () => {
  it('shows the navigation, every page and engine capabilities', async () => {
    const { page, problems } = await openApp()
    for (const label of ['Home', 'Models', 'Datasets', 'Fine-tune', 'Quantize & export', 'Sweeps', 'Benchmarks', 'Traces', 'Runs'])
      await expect(page.getByRole('button', { name: label, exact: true }).count()).resolves.toBe(1)
    await page.getByRole('button', { name: 'Quantize & export', exact: true }).click()
    expect(await page.locator('h1').textContent()).toBe('Quantize & export')
    const variant = await page.getByTestId('kernel-variant').textContent()
    const doctor = await post('system.info', {})
    expect(variant).toBe(doctor.json.result.kernels.variant)
    expect(problems).toEqual([])
    await page.close()
  })

  it('runs the engine self-test, shows progress and finishes in the Runs table with its chart', async () => {
    const { page, problems } = await openApp()
    await page.getByRole('button', { name: 'Run engine self-test' }).click()
    // The job's progress bar with an ETA appears while it runs.
    await page.locator('.jobs-panel .progress').first().waitFor({ timeout: 20_000 })
    const row = page.locator('[data-run-id]').first()
    await row.locator('.status-completed').waitFor({ timeout: 60_000 })
    await row.click()
    const chart = page.locator('figure[data-metric="max_rel_error"] .recharts-line path').first()
    await chart.waitFor({ timeout: 20_000 })
    expect(await chart.getAttribute('d')).toMatch(/^M[\d.,-]+[LC][\d.,-]+/)
    expect(await page.locator('figure.chart').count()).toBeGreaterThanOrEqual(2)
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'selftest-runs.png'), fullPage: true })
    expect(problems).toEqual([])

    const runs = await post('runs.list', {})
    expect(runs.json.result[0]).toMatchObject({ kind: 'engine-selftest', status: 'completed', progress: 1 })
    await page.close()
  })

  it('runs written by another process sharing the data directory appear on the Runs page', async () => {
    const { page } = await openApp()
    await page.getByRole('button', { name: 'Runs', exact: true }).click()
    const { execFileSync } = await import('node:child_process')
    const out = execFileSync(process.execPath, [path.join(__dirname, '..', 'bin', 'tbw.js'), '--data-dir', host.dataDir, 'selftest', '--steps', '2'], {
      encoding: 'utf8',
    })
    const runId = Number(/run (\d+): completed/.exec(out)![1])
    await page.locator(`[data-run-id="${runId}"] .status-completed`).waitFor({ timeout: 15_000 })
    await page.close()
  })

  it('a job killed with SIGKILL shows as crashed and the host keeps serving', async () => {
    const { page } = await openApp()
    await page.getByRole('button', { name: 'Runs', exact: true }).click()
    const started = await post('jobs.start', { kind: 'engine-selftest', params: { steps: 1000, intervalMs: 50, vectorLength: 256 } })
    const runId = started.json.result.runId as number
    await page.locator(`[data-run-id="${runId}"] .status-running`).waitFor({ timeout: 20_000 })
    await new Promise((r) => setTimeout(r, 500))
    const active = await post('jobs.active', {})
    process.kill(active.json.result.find((j: { runId: number }) => j.runId === runId).pid, 'SIGKILL')
    await page.locator(`[data-run-id="${runId}"] .status-crashed`).waitFor({ timeout: 20_000 })
    const run = await post('runs.get', { id: runId })
    expect(run.json.result.error).toMatch(/SIGKILL/)
    expect(run.json.result.metricKeys).toContain('max_rel_error')
    expect(host.proc.exitCode).toBeNull()
    await page.close()
  })
})
