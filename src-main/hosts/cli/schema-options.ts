// Commander options generated from a zod object schema (camelCase key ->
// --kebab-case flag), so the CLI takes exactly the parameters the job
// validates, with the same names and defaults shown in --help.
import { Option, type Command } from 'commander'
import type { z } from 'zod'

type Def = { type: string; defaultValue?: unknown }
interface Introspect {
  def: Def
  unwrap?: () => Introspect
  options?: readonly string[]
  element?: Introspect
  description?: string
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

function inner(t: Introspect): { t: Introspect; fallback: unknown } {
  let fallback: unknown
  while (t.unwrap && (t.def.type === 'default' || t.def.type === 'optional')) {
    if (t.def.type === 'default') fallback = t.def.defaultValue
    t = t.unwrap()
  }
  return { t, fallback }
}

export function addSchemaOptions(cmd: Command, schema: z.ZodObject, help: Record<string, string>, skip: string[] = []): void {
  for (const [key, field] of Object.entries(schema.shape)) {
    if (skip.includes(key)) continue
    const { t, fallback } = inner(field as unknown as Introspect)
    const flag = `--${kebab(key)}`
    const text = help[key] ?? key
    const shown = fallback === undefined ? '' : ` (default: ${Array.isArray(fallback) ? fallback.join(',') : String(fallback)})`
    if (t.def.type === 'boolean') {
      cmd.addOption(new Option(flag, `${text}${shown}`))
      if (fallback === true) cmd.addOption(new Option(`--no-${kebab(key)}`, `turn off ${kebab(key)}`))
      continue
    }
    const opt = new Option(`${flag} <value>`, `${text}${shown}`)
    if (t.def.type === 'number') opt.argParser((v) => Number(v))
    else if (t.def.type === 'enum' && t.options) opt.choices([...t.options])
    else if (t.def.type === 'array') opt.argParser((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    cmd.addOption(opt)
  }
}

// The options commander parsed that belong to the schema (undefined ones left out, so defaults apply).
export function pickSchemaOptions(schema: z.ZodObject, opts: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(schema.shape).flatMap((k) => (opts[k] === undefined ? [] : [[k, opts[k]]])))
}
