// The Electron transport without Electron: a fake ipcMain and fake senders.
import { afterEach, describe, expect, it } from 'vitest'
import { pathToFileURL } from 'node:url'
import { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL } from '../contract/bridge'
import type { CommandResponse } from '../contract/result'
import { tempDataDir, testServices } from '../../test-support/services'
import type { AppServices } from '../services/app-services'
import { isAppUrl, registerIpc } from './electron-ipc'

const APP_URL = pathToFileURL('/opt/tbw/out/renderer/index.html').href

type Handler = (event: unknown, name: unknown, input: unknown) => Promise<CommandResponse>

function fakeIpcMain() {
  const handlers = new Map<string, Handler>()
  return {
    handlers,
    handle: (channel: string, fn: Handler) => void handlers.set(channel, fn),
    removeHandler: (channel: string) => void handlers.delete(channel),
  }
}

function fakeWebContents(id: number) {
  const sent: [string, unknown][] = []
  return { id, sent, isDestroyed: () => false, send: (channel: string, payload: unknown) => void sent.push([channel, payload]) }
}

const frame = (url: string, parent: object | null = null) => ({ url, parent })

let services: AppServices | null = null
afterEach(() => {
  services?.close()
  services = null
})

describe('Electron IPC', () => {
  it('recognises only the app page as the app', () => {
    expect(isAppUrl(APP_URL, APP_URL)).toBe(true)
    expect(isAppUrl(`${APP_URL}#/runs`, APP_URL)).toBe(true)
    expect(isAppUrl(pathToFileURL('/tmp/evil.html').href, APP_URL)).toBe(false)
    expect(isAppUrl('https://example.com/', APP_URL)).toBe(false)
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true)
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false)
    expect(isAppUrl('not a url', APP_URL)).toBe(false)
  })

  it('answers commands from its own window and refuses other senders before validation', async () => {
    services = testServices(tempDataDir('ipc'))
    const ipc = fakeIpcMain()
    const own = fakeWebContents(1)
    const stranger = fakeWebContents(2)
    const off = registerIpc({ ipcMain: ipc as never, services, appUrl: APP_URL, ownWebContents: () => [own as never] })
    const handler = ipc.handlers.get(IPC_COMMAND_CHANNEL)!

    const ok = await handler({ sender: own, senderFrame: frame(APP_URL) }, 'runs.list', {})
    expect(ok).toEqual({ ok: true, result: [] })

    const invalid = await handler({ sender: own, senderFrame: frame(APP_URL) }, 'runs.get', { id: -3 })
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_input', fields: [{ path: 'id' }] } })

    for (const event of [
      { sender: stranger, senderFrame: frame(APP_URL) }, // another window
      { sender: own, senderFrame: frame(APP_URL, {}) }, // a subframe of our window
      { sender: own, senderFrame: frame('https://example.com/') }, // our window navigated away
      { sender: own, senderFrame: null }, // frame already gone
    ]) {
      expect(await handler(event, 'runs.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }

    services.bus.emit('runs.changed', { runId: 7 })
    expect(own.sent).toEqual([[IPC_EVENT_CHANNEL, { name: 'runs.changed', payload: { runId: 7 } }]])
    expect(stranger.sent).toEqual([])

    off()
    expect(ipc.handlers.size).toBe(0)
    services.bus.emit('runs.changed', { runId: 8 })
    expect(own.sent.length).toBe(1)
  })
})
