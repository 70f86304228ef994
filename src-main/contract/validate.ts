// Boundary validation: turns a raw (name, input) pair into a parsed input or
// an error that names the offending field.
import type { z } from 'zod'
import { commands, isCommandName, type CommandName, type ParsedInput } from './commands'
import type { ApiError } from './result'

export type Validated<N extends CommandName = CommandName> =
  | { ok: true; name: N; input: ParsedInput<N> }
  | { ok: false; error: ApiError }

export function formatIssues(issues: z.core.$ZodIssue[]): { path: string; message: string }[] {
  return issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(input)',
    message: issue.message,
  }))
}

export function validateCommand(name: unknown, input: unknown): Validated {
  if (!isCommandName(name)) {
    return { ok: false, error: { code: 'unknown_command', message: `Unknown command ${JSON.stringify(name)}` } }
  }
  const parsed = commands[name].input.safeParse(input ?? {})
  if (!parsed.success) {
    const fields = formatIssues(parsed.error.issues)
    const detail = fields.map((f) => `${f.path}: ${f.message}`).join('; ')
    return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${name}: ${detail}`, fields } }
  }
  return { ok: true, name, input: parsed.data as ParsedInput<CommandName> }
}
