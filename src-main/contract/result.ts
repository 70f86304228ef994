// The envelope every transport returns for a command.
import type { CommandName, CommandResult } from './commands'

export type ApiErrorCode = 'invalid_input' | 'unknown_command' | 'not_found' | 'conflict' | 'forbidden' | 'internal'

export interface ApiError {
  code: ApiErrorCode
  message: string
  // For invalid_input: one entry per offending field, path joined with '.'.
  fields?: { path: string; message: string }[]
}

export type CommandResponse<N extends CommandName = CommandName> =
  | { ok: true; result: CommandResult<N> }
  | { ok: false; error: ApiError }
