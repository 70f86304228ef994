// The only bridge between the sandboxed renderer and the main process.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL, type TbwBridge } from '../contract/bridge'
import type { AppEvent } from '../contract/events'

const bridge: TbwBridge = {
  invoke: (name, input) => ipcRenderer.invoke(IPC_COMMAND_CHANNEL, name, input),
  onEvent: (listener) => {
    const wrapped = (_e: IpcRendererEvent, event: AppEvent) => listener(event)
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped)
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped)
    }
  },
}

contextBridge.exposeInMainWorld('tbw', bridge)
