// Opens the workbench database: WAL, busy timeout, foreign keys, migrations.
// One writer per host process; jobs never open it.
import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import { MIGRATIONS, type Migration } from './migrations'

export type Db = Database.Database

export interface OpenOptions {
  // Apply migrations only up to this version (tests of upgrades from older schemas).
  migrateTo?: number
  migrations?: Migration[]
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  db.pragma('synchronous = NORMAL')
  try {
    migrate(db, options.migrations ?? MIGRATIONS, options.migrateTo)
  } catch (err) {
    db.close()
    throw err
  }
  return db
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }
  return row.v ?? 0
}

function migrate(db: Db, migrations: Migration[], migrateTo = Infinity): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const current = schemaVersion(db)
  const latest = migrations.at(-1)?.version ?? 0
  if (current > latest) {
    throw new Error(
      `Database ${db.name} has schema version ${current}, newer than this workbench knows (${latest}). ` +
        'Update the workbench, or point TBW_HOME at another data directory.',
    )
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  for (const m of migrations) {
    if (m.version <= current || m.version > migrateTo) continue
    // Each migration is all-or-nothing: a failure leaves the previous version intact.
    db.transaction(() => {
      db.exec(m.sql)
      record.run(m.version, m.name, new Date().toISOString())
    })()
  }
}
