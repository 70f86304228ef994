// `npm run bench:traces [-- --mb 500] [--out FILE]`: the trace viewer at scale.
// Writes a Kineto-shaped synthetic trace of the given size, imports it with
// `tbw trace import` (a job process: its import time and peak RSS), then opens
// it on the Traces page of the web host in headless Chromium and measures, for
// a scripted series of zooms and pans (whole trace -> one kernel -> whole
// trace), the time from the key press until that view's window is in the page
// (the main process's query, the transfer and React's commit), the canvas draw
// time, and the
// memory of the web host and of the page. Needs `npm run build` and Chromium.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { writeSyntheticTrace } from '../src-main/engine/traces/synthetic-trace'
import { launchChromium, startServe } from '../test-support/web-host-process'

const ROOT = path.resolve(__dirname, '..')
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const MB = Number(arg('mb', '500'))
const OUT = arg('out', '')

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tbw-bench-traces-'))
  const dataDir = path.join(work, 'data')
  const file = path.join(work, 'synthetic.pt.trace.json')
  try {
    let t = Date.now()
    const made = writeSyntheticTrace(file, MB * 1e6)
    console.log(`bench:traces: wrote a ${(made.bytes / 1e6).toFixed(0)} MB synthetic trace (${made.events.toLocaleString('en-US')} events, ${made.kernels.toLocaleString('en-US')} kernels) in ${((Date.now() - t) / 1000).toFixed(1)} s`)

    t = Date.now()
    const imp = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tbw.js'), '--data-dir', dataDir, 'trace', 'import', file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 })
    if (imp.status !== 0) throw new Error(`tbw trace import failed:\n${imp.stderr}`)
    const summary = JSON.parse(imp.stdout.trim().split('\n').pop()!) as { events: number; run_id: number; import_seconds: number; peak_rss_mb: number }
    console.log(`bench:traces: import ${summary.import_seconds.toFixed(1)} s in the job (${((Date.now() - t) / 1000).toFixed(1)} s with the CLI), peak RSS of the import job ${summary.peak_rss_mb.toFixed(0)} MB, ${summary.events.toLocaleString('en-US')} events`)

    const host = await startServe(dataDir)
    const browser = await launchChromium(['--enable-precise-memory-info'])
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
      await page.goto(`${host.url}#/traces`)
      const opened = Date.now()
      await page.locator(`tr[data-trace-run="${summary.run_id}"]`).click()
      const canvas = page.getByTestId('timeline-canvas')
      await canvas.waitFor({ timeout: 60_000 })
      const ready = `(() => { const c = document.querySelector('[data-testid="timeline-canvas"]'); return c && c.getAttribute('data-ready') === c.getAttribute('data-view') })()`
      await page.waitForFunction(ready, undefined, { timeout: 60_000 })
      const firstView = (Date.now() - opened) / 1000
      await canvas.focus()
      // Zoom from the whole trace into one kernel and back out, panning on the way: W/S zoom ×0.8/×1.25, A/D pan 20 %.
      const keys = [...'w'.repeat(60), ...'dddddaaaaa', ...'s'.repeat(60), ...'dadada']
      const frames: { key: string; latency: number; draw: number; level: number }[] = []
      for (const key of keys) {
        // A string, not a function: tsx would wrap inner functions in a helper the page does not have.
        const r = (await page.evaluate(`(async () => {
          const c = document.querySelector('[data-testid="timeline-canvas"]')
          const before = c.getAttribute('data-view')
          const began = performance.now()
          c.dispatchEvent(new KeyboardEvent('keydown', { key: ${JSON.stringify(key)}, bubbles: true }))
          // Until the window of the new view is in the page (the canvas attributes change as React commits it).
          await new Promise((res) => {
            const done = () => c.getAttribute('data-view') !== before && c.getAttribute('data-ready') === c.getAttribute('data-view')
            if (done()) return res(null)
            const seen = new MutationObserver(() => done() && (seen.disconnect(), res(null)))
            seen.observe(c, { attributes: true })
          })
          const latency = performance.now() - began
          await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0))) // its draw has run
          return { latency, draw: Number(c.getAttribute('data-draw-ms')), level: Number(c.getAttribute('data-level')) }
        })()`)) as { latency: number; draw: number; level: number }
        frames.push({ key, ...r })
      }
      const searchBegan = Date.now()
      await page.getByLabel('search events').fill('fmha_cutlassF')
      const matches = await page.getByTestId('match-count').textContent({ timeout: 60_000 })
      const searchSeconds = (Date.now() - searchBegan) / 1000
      const heapMb = ((await page.evaluate('performance.memory ? performance.memory.usedJSHeapSize : 0')) as number) / 2 ** 20
      const hostRss = peakRssMb(host.proc.pid!)
      await page.screenshot({ path: path.join(work, 'timeline.png') })
      const lat = frames.map((f) => f.latency)
      const draw = frames.map((f) => f.draw)
      const result = {
        trace_mb: made.bytes / 1e6,
        events: summary.events,
        import_seconds: summary.import_seconds,
        import_peak_rss_mb: summary.peak_rss_mb,
        first_view_seconds: firstView,
        interactions: frames.length,
        key_to_window_ms: { p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), max: Math.max(...lat) },
        draw_ms: { p50: quantile(draw, 0.5), p95: quantile(draw, 0.95), max: Math.max(...draw) },
        levels_used: [...new Set(frames.map((f) => f.level))].sort((a, b) => a - b),
        search: { matches, seconds: searchSeconds },
        web_host_peak_rss_mb: hostRss,
        page_js_heap_mb: heapMb,
      }
      console.log(`bench:traces: first view ${firstView.toFixed(2)} s; ${frames.length} zooms/pans: key -> window in page p50 ${result.key_to_window_ms.p50.toFixed(1)} ms, p95 ${result.key_to_window_ms.p95.toFixed(1)} ms, max ${result.key_to_window_ms.max.toFixed(1)} ms; canvas draw p50 ${result.draw_ms.p50.toFixed(1)} ms, p95 ${result.draw_ms.p95.toFixed(1)} ms`)
      console.log(`bench:traces: search "fmha_cutlassF": ${matches} in ${searchSeconds.toFixed(2)} s; web host peak RSS ${hostRss.toFixed(0)} MB; page JS heap ${heapMb.toFixed(0)} MB; levels of detail used ${result.levels_used.join(',')}`)
      console.log(JSON.stringify(result))
      if (OUT) fs.writeFileSync(OUT, JSON.stringify(result, null, 2))
    } finally {
      await browser.close()
      await host.stop()
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(`bench:traces: ${(err as Error).message}`)
  process.exit(1)
})
