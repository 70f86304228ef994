// The built web host (out/main/serve.js) as a child process on a random port, and Debian's
// headless Chromium via playwright-core: shared by the e2e suite and the browser benchmarks.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { REPO_ROOT, tempDataDir } from './services'

export interface RunningHost {
  url: string
  origin: string
  token: string
  dataDir: string
  proc: ChildProcess
  output: () => string
  stop(): Promise<void>
}

export async function startServe(dataDir: string = tempDataDir('e2e')): Promise<RunningHost> {
  const script = path.join(REPO_ROOT, 'out', 'main', 'serve.js')
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does it).`)
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

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
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
      ...extraArgs,
    ],
  })
}
