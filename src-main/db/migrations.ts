// Numbered SQL migrations (migrations/NNN_name.sql), bundled as text so the
// same list works from source, from the build and under Electron.
import fs from 'node:fs'
import path from 'node:path'

function sqlFiles(): Record<string, string> {
  try {
    return import.meta.glob('./migrations/*.sql', { query: '?raw', import: 'default', eager: true }) as Record<string, string>
  } catch {
    // Plain Node on the sources (scripts run with tsx), where there is no bundler: read the folder.
    const dir = path.join(__dirname, 'migrations')
    return Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).map((f) => [`./migrations/${f}`, fs.readFileSync(path.join(dir, f), 'utf8')]))
  }
}

export interface Migration {
  version: number
  name: string
  sql: string
}

export const MIGRATIONS: Migration[] = Object.entries(sqlFiles())
  .map(([file, sql]) => {
    const match = /\/(\d{3})_([a-z0-9_]+)\.sql$/.exec(file)
    if (!match) throw new Error(`Migration file ${file} is not named NNN_name.sql`)
    return { version: Number(match[1]), name: match[2], sql }
  })
  .sort((a, b) => a.version - b.version)
