import { describe, expect, it } from 'vitest'
import { validateCommand } from './validate'

describe('contract validation', () => {
  it('accepts valid input and fills defaults', () => {
    const v = validateCommand('jobs.start', { kind: 'engine-selftest', params: { steps: 3 } })
    expect(v).toEqual({ ok: true, name: 'jobs.start', input: { kind: 'engine-selftest', params: { steps: 3, intervalMs: 100, vectorLength: 65536 } } })
  })

  it('names the offending field', () => {
    const v = validateCommand('runs.get', { id: 'seven' })
    expect(v.ok).toBe(false)
    if (v.ok) return
    expect(v.error.code).toBe('invalid_input')
    expect(v.error.fields?.[0].path).toBe('id')
    expect(v.error.message).toMatch(/^Invalid input for runs\.get: id: /)
  })

  it('names nested fields and refuses unknown keys', () => {
    const nested = validateCommand('jobs.start', { kind: 'engine-selftest', params: { steps: -1 } })
    expect(!nested.ok && nested.error.fields?.map((f) => f.path)).toEqual(['params.steps'])
    const extra = validateCommand('runs.list', { limit: 5, sql: 'DROP TABLE runs' })
    expect(!extra.ok && extra.error.message).toMatch(/sql/)
    const badKind = validateCommand('jobs.start', { kind: 'rm -rf' })
    expect(!badKind.ok && badKind.error.fields?.[0].path).toBe('kind')
  })

  it('refuses unknown commands and non-object input', () => {
    expect(validateCommand('runs.drop', {})).toMatchObject({ ok: false, error: { code: 'unknown_command' } })
    expect(validateCommand('__proto__', {})).toMatchObject({ ok: false, error: { code: 'unknown_command' } })
    expect(validateCommand('runs.get', 42)).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
  })
})
