// One web host (fresh data directory) and one headless Chromium per e2e spec file
// (test-support/web-host-process.ts starts them), and HTTP calls to the host's API.
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { REPO_ROOT } from '../../test-support/services'
import { launchChromium, startServe, type RunningHost } from '../../test-support/web-host-process'

export const ARTIFACTS = path.join(REPO_ROOT, 'e2e', 'artifacts')

export { CHROMIUM, launchChromium, startServe, type RunningHost } from '../../test-support/web-host-process'

// Calls a command of a running web host over HTTP, as a script would.
export async function apiPost(host: RunningHost, name: string, body: unknown, token = host.token) {
  const res = await fetch(`${host.origin}/api/commands/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as { ok: boolean; result?: any; error?: any } }
}

export interface WebHostSession {
  readonly host: RunningHost
  readonly browser: Browser
  // A page at #/<hash>, with the console errors and page errors it reports collected.
  openPage(hash: string, height?: number): Promise<{ page: Page; problems: string[] }>
}

// One web host and one headless Chromium for a spec file, started after `setup` and stopped at the end.
export function useWebHost(setup?: () => void | Promise<void>): WebHostSession {
  let host: RunningHost | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    await setup?.()
    host = await startServe()
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await host?.stop()
  })
  return {
    get host() {
      return host!
    },
    get browser() {
      return browser!
    },
    async openPage(hash, height = 1200) {
      const page = await browser!.newPage({ viewport: { width: 1360, height } })
      const problems: string[] = []
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
      page.on('pageerror', (e) => problems.push(e.message))
      await page.goto(`${host!.url}#/${hash}`)
      return { page, problems }
    },
  }
}
