// The bridge a renderer talks through: Electron's preload exposes it as
// window.tbw; the web host's client implements the same shape over WebSocket.
import type { CommandInput, CommandName } from './commands'
import type { AppEvent } from './events'
import type { CommandResponse } from './result'

export const IPC_COMMAND_CHANNEL = 'tbw:command'
export const IPC_EVENT_CHANNEL = 'tbw:event'

export interface TbwBridge {
  invoke<N extends CommandName>(name: N, input: CommandInput<N>): Promise<CommandResponse<N>>
  // Returns the unsubscribe function.
  onEvent(listener: (event: AppEvent) => void): () => void
}

// Web host wire format over the WebSocket.
export type ClientMessage = { id: number; command: string; input: unknown }
export type ServerMessage = { id: number; response: CommandResponse } | { event: AppEvent }
