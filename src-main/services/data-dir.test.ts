import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultDataDir } from './data-dir'

describe('data directory', () => {
  it('TBW_HOME overrides the OS location', () => {
    expect(defaultDataDir({ TBW_HOME: '/tmp/tbw-x' }, 'linux')).toBe(path.resolve('/tmp/tbw-x'))
  })
  it('defaults to the OS user-data location Electron uses', () => {
    expect(defaultDataDir({}, 'linux')).toBe(path.join(os.homedir(), '.config', 'TinyBERT Workbench'))
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/x' }, 'linux')).toBe(path.join('/x', 'TinyBERT Workbench'))
    expect(defaultDataDir({}, 'darwin')).toBe(path.join(os.homedir(), 'Library', 'Application Support', 'TinyBERT Workbench'))
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain('TinyBERT Workbench')
  })
})
