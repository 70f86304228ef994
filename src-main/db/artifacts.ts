// Files a run produced (checkpoints, exports, traces, benchmark results), with
// their size and sha256 so the run history can show and verify them.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ArtifactInfo as Artifact } from '../contract/types'
import type { Db } from './database'

// Size and sha256 of a file, or of a folder's files (hashed in name order: name, then bytes).
export function fingerprint(target: string): { bytes: number; sha256: string } {
  const hash = crypto.createHash('sha256')
  let bytes = 0
  const walk = (p: string, rel: string) => {
    const st = fs.statSync(p)
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name), rel ? `${rel}/${name}` : name)
      return
    }
    if (rel) hash.update(`${rel}\n`)
    hashFile(hash, p) // in chunks: a trace's timeline can be hundreds of MB
    bytes += st.size
  }
  walk(target, '')
  return { bytes, sha256: hash.digest('hex') }
}

function hashFile(hash: crypto.Hash, file: string): void {
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.allocUnsafe(1 << 20)
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n))
  } finally {
    fs.closeSync(fd)
  }
}

export function addArtifact(db: Db, runId: number, kind: string, target: string): void {
  const { bytes, sha256 } = fingerprint(target)
  db.prepare('INSERT INTO artifacts (run_id, kind, path, bytes, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    runId,
    kind,
    target,
    bytes,
    sha256,
    new Date().toISOString(),
  )
}

// Artifacts whose files still exist (keep-best removes older checkpoints).
export function listArtifacts(db: Db, runId: number): Artifact[] {
  const rows = db.prepare('SELECT id, run_id, kind, path, bytes, sha256, created_at FROM artifacts WHERE run_id = ? ORDER BY id').all(runId) as {
    id: number
    run_id: number
    kind: string
    path: string
    bytes: number
    sha256: string
    created_at: string
  }[]
  return rows
    .filter((r) => fs.existsSync(r.path))
    .map((r) => ({ id: r.id, runId: r.run_id, kind: r.kind, path: r.path, bytes: r.bytes, sha256: r.sha256, createdAt: r.created_at }))
}
