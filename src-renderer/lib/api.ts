// The renderer's API client: Electron's preload bridge when present,
// otherwise the web host's WebSocket. Components call `api.call(...)`.
import type { TbwBridge } from '../../src-main/contract/bridge'
import type { CommandInput, CommandName, CommandResult } from '../../src-main/contract/commands'
import type { AppEvent } from '../../src-main/contract/events'
import type { ApiError } from '../../src-main/contract/result'
import { createWebSocketBridge } from './ws-bridge'

declare global {
  interface Window {
    tbw?: TbwBridge
  }
}

export class ApiCallError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message)
  }
}

function pickBridge(): { bridge: TbwBridge; transport: 'electron' | 'web' } {
  if (window.tbw) return { bridge: window.tbw, transport: 'electron' }
  const params = new URLSearchParams(location.search)
  const token = params.get('token') ?? sessionStorage.getItem('tbw_token') ?? ''
  if (token) sessionStorage.setItem('tbw_token', token)
  return { bridge: createWebSocketBridge(token), transport: 'web' }
}

const { bridge, transport } = pickBridge()

export const api = {
  transport,
  async call<N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandResult<N>> {
    const res = await bridge.invoke(name, input)
    if (!res.ok) throw new ApiCallError(res.error)
    return res.result as CommandResult<N>
  },
  onEvent(listener: (e: AppEvent) => void): () => void {
    return bridge.onEvent(listener)
  },
}
