// Electron transport: one IPC channel for commands, one for events. Commands
// are accepted only from the main frame of the app's own windows, loading the
// app's own page; everything else is refused before validation.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL } from '../contract/bridge'
import type { CommandResponse } from '../contract/result'
import type { AppServices } from '../services/app-services'

// True when a frame URL is the app's page: the built renderer's file URL, or
// the dev server's origin during `electron-vite dev`.
export function isAppUrl(frameUrl: string, appUrl: string): boolean {
  let frame: URL
  let app: URL
  try {
    frame = new URL(frameUrl)
    app = new URL(appUrl)
  } catch {
    return false
  }
  if (app.protocol === 'file:') return frame.protocol === 'file:' && frame.pathname === app.pathname
  return frame.origin === app.origin
}

export interface IpcWiring {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  services: AppServices
  appUrl: string
  ownWebContents: () => WebContents[]
}

export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, w: Pick<IpcWiring, 'appUrl' | 'ownWebContents'>): boolean {
  const frame = event.senderFrame
  if (!frame || frame.parent !== null) return false // subframes never talk to the main process
  if (!w.ownWebContents().some((wc) => wc.id === event.sender.id)) return false
  return isAppUrl(frame.url, w.appUrl)
}

// Registers the command handler and forwards events to every own window.
// Returns a function that undoes both.
export function registerIpc(w: IpcWiring): () => void {
  w.ipcMain.handle(IPC_COMMAND_CHANNEL, async (event, name: unknown, input: unknown): Promise<CommandResponse> => {
    if (!isTrustedSender(event, w)) {
      return { ok: false, error: { code: 'forbidden', message: 'IPC is accepted only from the workbench window' } }
    }
    return w.services.dispatch(name, input)
  })
  const unsubscribe = w.services.bus.subscribe((event) => {
    for (const wc of w.ownWebContents()) if (!wc.isDestroyed()) wc.send(IPC_EVENT_CHANNEL, event)
  })
  return () => {
    w.ipcMain.removeHandler(IPC_COMMAND_CHANNEL)
    unsubscribe()
  }
}
