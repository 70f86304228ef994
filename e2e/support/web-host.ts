// Starts the built web host (out/main/serve.js) on a random port with a fresh
// data directory, and launches Debian's headless Chromium via playwright-core.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { REPO_ROOT, tempDataDir } from '../../test-support/services'

export const ARTIFACTS = path.join(REPO_ROOT, 'e2e', 'artifacts')

export interface RunningHost {
  url: string
  origin: string
  token: string
  dataDir: string
  proc: ChildProcess
  output: () => string
  stop(): Promise<void>
}

export async function startServe(): Promise<RunningHost> {
  const script = path.join(REPO_ROOT, 'out', 'main', 'serve.js')
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does it).`)
  const dataDir = tempDataDir('e2e')
  const proc = spawn(process.execPath, [script, '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host printed no URL in 20 s:\n${out}`)), 20_000)
    const check = () => {
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    proc.stdout!.on('data', check)
    proc.on('exit', (code) => reject(new Error(`web host exited with ${code}:\n${out}`)))
  })
  const u = new URL(url)
  return {
    url,
    origin: u.origin,
    token: u.searchParams.get('token')!,
    dataDir,
    proc,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve()
        proc.once('exit', () => resolve())
        proc.kill('SIGTERM')
      }),
  }
}

export const CHROMIUM = process.env.TBW_CHROMIUM ?? '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt install chromium) or set TBW_CHROMIUM.`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

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
