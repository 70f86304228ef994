// Numbered SQL migrations (migrations/NNN_name.sql), bundled as text so the
// same list works from source, from the build and under Electron.
const files = import.meta.glob('./migrations/*.sql', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>

export interface Migration {
  version: number
  name: string
  sql: string
}

export const MIGRATIONS: Migration[] = Object.entries(files)
  .map(([file, sql]) => {
    const match = /\/(\d{3})_([a-z0-9_]+)\.sql$/.exec(file)
    if (!match) throw new Error(`Migration file ${file} is not named NNN_name.sql`)
    return { version: Number(match[1]), name: match[2], sql }
  })
  .sort((a, b) => a.version - b.version)
