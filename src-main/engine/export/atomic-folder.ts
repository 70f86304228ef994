// Writes a folder under a temporary name and renames it into place: a failure or a kill
// leaves the previous folder (or none), never a half-written one.
import fs from 'node:fs'
import path from 'node:path'

export function writeFolderAtomic(outDir: string, fill: (tmp: string) => void, o: { overwrite?: boolean } = {}): string {
  const out = path.resolve(outDir)
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length) && !o.overwrite) {
    throw new Error(`${outDir} already exists and is not empty: choose a new --out (or pass --overwrite)`)
  }
  const tmp = `${out}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp, { recursive: true })
  try {
    fill(tmp)
    fs.rmSync(out, { recursive: true, force: true })
    fs.renameSync(tmp, out)
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw err
  }
  return out
}
