// The web host's bridge: commands and events over one WebSocket, with the
// session token from the page URL. Reconnects after a dropped connection.
import type { ServerMessage, TbwBridge } from '../../src-main/contract/bridge'
import type { AppEvent } from '../../src-main/contract/events'
import type { CommandResponse } from '../../src-main/contract/result'

export function createWebSocketBridge(token: string): TbwBridge {
  const listeners = new Set<(e: AppEvent) => void>()
  const pending = new Map<number, (r: CommandResponse) => void>()
  let nextId = 1
  let socket: WebSocket | null = null
  let ready: Promise<WebSocket> | null = null

  const connect = (): Promise<WebSocket> => {
    if (ready) return ready
    ready = new Promise((resolve, reject) => {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
      const ws = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`)
      ws.onopen = () => {
        socket = ws
        resolve(ws)
      }
      ws.onerror = () => reject(new Error('Cannot reach the workbench web host. Is `npm run serve` still running?'))
      ws.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as ServerMessage
        if ('event' in msg) for (const l of listeners) l(msg.event)
        else pending.get(msg.id)?.(msg.response)
      }
      ws.onclose = () => {
        socket = null
        ready = null
        for (const [id, done] of pending) {
          pending.delete(id)
          done({ ok: false, error: { code: 'internal', message: 'Connection to the web host was lost' } })
        }
        // Keep events flowing: reconnect while someone listens.
        if (listeners.size) setTimeout(() => void connect().catch(() => undefined), 1000)
      }
    })
    return ready
  }

  return {
    async invoke(name, input) {
      const ws = socket ?? (await connect())
      const id = nextId++
      return new Promise((resolve) => {
        pending.set(id, (r) => {
          pending.delete(id)
          resolve(r as never)
        })
        ws.send(JSON.stringify({ id, command: name, input }))
      })
    },
    onEvent(listener) {
      listeners.add(listener)
      void connect().catch(() => undefined)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
