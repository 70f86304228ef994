// The desktop app under Electron (Playwright's _electron). Skips with a printed
// reason where no Electron binary or display exists, as on CI machines.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { _electron, type ElectronApplication } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, tempDataDir } from '../test-support/services'

function electronMissingReason(): string | null {
  try {
    const binary = createRequire(path.join(REPO_ROOT, 'package.json'))('electron') as string
    if (!fs.existsSync(binary)) return `the Electron binary ${binary} is not installed`
  } catch (err) {
    return `the Electron binary is not installed (${(err as Error).message.split('\n')[0]})`
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'there is no display (DISPLAY is unset)'
  return null
}

const reason = electronMissingReason()
if (reason) console.log(`electron e2e skipped: ${reason}`)

describe.skipIf(reason !== null)('desktop app (Electron)', () => {
  let app: ElectronApplication

  afterAll(async () => {
    await app?.close()
  })

  it('opens a sandboxed, isolated window that runs the self-test over IPC', async () => {
    const binary = createRequire(path.join(REPO_ROOT, 'package.json'))('electron') as string
    app = await _electron.launch({
      executablePath: binary,
      args: [REPO_ROOT],
      env: { ...process.env, TBW_HOME: tempDataDir('electron') },
    })
    const win = await app.firstWindow()
    await win.getByTestId('kernel-variant').waitFor({ timeout: 30_000 })
    expect(await win.title()).toBe('TinyBERT Workbench')
    // No Node in the renderer; only the contract bridge.
    expect(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
    expect(await win.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined')
    expect(await win.evaluate(() => Object.keys((window as unknown as { tbw: object }).tbw).sort())).toEqual(['invoke', 'onEvent'])
    // The CSP forbids eval; new windows are refused.
    expect(await win.evaluate(() => { try { return (0, eval)('1') } catch { return 'blocked' } })).toBe('blocked')
    expect(await win.evaluate(() => window.open('https://example.com/') === null)).toBe(true)
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
    await win.getByRole('button', { name: 'Run engine self-test' }).click()
    await win.locator('[data-run-id] .status-completed').first().waitFor({ timeout: 60_000 })
  })
})
