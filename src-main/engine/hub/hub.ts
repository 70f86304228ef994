// Downloads from the Hugging Face hub into a local cache, with resume (HTTP
// Range), size and sha256/ETag checks, progress, and an offline mode that uses
// only the cache and names what is missing. HF_ENDPOINT points it elsewhere
// (a mirror, or the tests' fake hub).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export interface HubOptions {
  cacheDir: string
  endpoint?: string
  offline?: boolean
  token?: string
  onProgress?: (p: { file: string; bytes: number; total: number | null }) => void
}

export type RepoType = 'model' | 'dataset'

export interface PulledRepo {
  repoId: string
  commit: string
  dir: string // folder holding the files, in the repository's layout
  files: string[]
}

const MODEL_FILES = /^(config\.json|vocab\.txt|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|model\.safetensors|pytorch_model\.bin)$/

export function endpointOf(o: HubOptions): string {
  return (o.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '')
}

export function repoCacheDir(o: HubOptions, type: RepoType, repoId: string): string {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repoId)) throw new Error(`"${repoId}" is not a hub repository id (owner/name)`)
  return path.join(o.cacheDir, `${type}s--${repoId.replace('/', '--')}`)
}

async function get(url: string, o: HubOptions, headers: Record<string, string> = {}): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { headers: { ...headers, ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}) }, redirect: 'follow' })
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    throw new Error(`${url}: cannot reach the hub (${cause?.code ?? cause?.message ?? (err as Error).message}); pass --offline to use the cache`)
  }
  if (res.status === 401 || res.status === 403) throw new Error(`${url}: ${res.status}: the repository is private or gated; set HF_TOKEN`)
  if (res.status === 404) throw new Error(`${url}: not found (check the repository id and revision)`)
  if (!res.ok && res.status !== 206) throw new Error(`${url}: HTTP ${res.status}`)
  return res
}

// Repository metadata: the commit and the file list.
async function repoInfo(o: HubOptions, type: RepoType, repoId: string, revision: string): Promise<{ commit: string; files: string[] }> {
  const url = `${endpointOf(o)}/api/${type}s/${repoId}/revision/${encodeURIComponent(revision)}`
  const info = (await (await get(url, o)).json()) as { sha?: string; siblings?: { rfilename: string }[] }
  if (!info.sha || !Array.isArray(info.siblings)) throw new Error(`${url}: unexpected answer (no sha or siblings)`)
  return { commit: info.sha, files: info.siblings.map((s) => s.rfilename) }
}

// One file, resumable: bytes already in `<file>.incomplete` are kept and the
// rest is requested with a Range header. The finished file must match the
// advertised size and, when the ETag is a sha256 (LFS files), its hash.
async function downloadFile(o: HubOptions, url: string, dest: string, name: string): Promise<void> {
  const partial = `${dest}.incomplete`
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  let have = fs.existsSync(partial) ? fs.statSync(partial).size : 0
  const res = await get(url, o, have ? { Range: `bytes=${have}-` } : {})
  if (have && res.status !== 206) have = 0 // the server ignored the range: start over
  const total = Number(res.headers.get('x-linked-size') ?? NaN) || (res.headers.get('content-length') ? have + Number(res.headers.get('content-length')) : null)
  const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '')
  const out = fs.createWriteStream(partial, { flags: have ? 'a' : 'w' })
  let bytes = have
  try {
    const reader = res.body!.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      await new Promise<void>((resolve, reject) => out.write(value, (err) => (err ? reject(err) : resolve())))
      bytes += value.length
      o.onProgress?.({ file: name, bytes, total })
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()))
  }
  if (total !== null && bytes !== total) throw new Error(`${name}: got ${bytes} bytes of ${total}; run the pull again to resume`)
  if (/^[0-9a-f]{64}$/.test(etag)) {
    const hash = crypto.createHash('sha256').update(fs.readFileSync(partial)).digest('hex')
    if (hash !== etag) {
      fs.rmSync(partial)
      throw new Error(`${name}: sha256 ${hash} does not match the hub's ${etag}; the partial file was removed, pull again`)
    }
  }
  fs.renameSync(partial, dest)
}

export interface PullOptions {
  revision?: string
  files?: (name: string) => boolean // which repository files to fetch (default: a model's files)
}

export async function pull(o: HubOptions, type: RepoType, repoId: string, p: PullOptions = {}): Promise<PulledRepo> {
  const base = repoCacheDir(o, type, repoId)
  const revision = p.revision ?? 'main'
  const wanted = p.files ?? ((f: string) => MODEL_FILES.test(f))
  const refFile = path.join(base, 'refs', revision)
  if (o.offline) {
    if (!fs.existsSync(refFile)) throw new Error(`offline: ${repoId}@${revision} is not in the cache (${base}); pull it once with a network`)
    const commit = fs.readFileSync(refFile, 'utf8').trim()
    const dir = path.join(base, 'snapshots', commit)
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, '.tbw-files.json'), 'utf8')) as string[]
    const missing = manifest.filter((f) => !fs.existsSync(path.join(dir, f)))
    if (missing.length) throw new Error(`offline: ${repoId}@${revision} is missing ${missing.join(', ')} in the cache; pull again with a network`)
    return { repoId, commit, dir, files: manifest }
  }
  const { commit, files } = await repoInfo(o, type, repoId, revision)
  let selected = files.filter(wanted)
  if (selected.includes('model.safetensors')) selected = selected.filter((f) => f !== 'pytorch_model.bin') // safetensors first
  if (!selected.length) throw new Error(`${repoId}: none of its files are ones the workbench uses (${files.slice(0, 8).join(', ')}…)`)
  const dir = path.join(base, 'snapshots', commit)
  const prefix = type === 'dataset' ? 'datasets/' : ''
  for (const f of selected) {
    const dest = path.join(dir, f)
    if (fs.existsSync(dest)) continue
    await downloadFile(o, `${endpointOf(o)}/${prefix}${repoId}/resolve/${commit}/${f.split('/').map(encodeURIComponent).join('/')}`, dest, f)
  }
  fs.writeFileSync(path.join(dir, '.tbw-files.json'), JSON.stringify(selected))
  fs.mkdirSync(path.dirname(refFile), { recursive: true })
  fs.writeFileSync(refFile, commit)
  return { repoId, commit, dir, files: selected }
}

// `glue/mrpc` and friends: the GLUE parquet files of the hub dataset nyu-mll/glue.
export function glueDatasetRequest(name: string): { repoId: string; files: (f: string) => boolean } {
  const m = /^glue\/([a-z0-9_-]+)$/.exec(name)
  if (!m) throw new Error(`"${name}" is not a known dataset (try glue/mrpc, glue/rte, glue/cola, glue/sst2)`)
  const task = m[1]
  return { repoId: 'nyu-mll/glue', files: (f) => f.startsWith(`${task}/`) && f.endsWith('.parquet') }
}

// The folder of a GLUE task pulled earlier with `tbw data pull glue/<task>`.
export function cachedGlueDir(cacheDir: string, task: string): string {
  const base = repoCacheDir({ cacheDir }, 'dataset', 'nyu-mll/glue')
  const ref = path.join(base, 'refs', 'main')
  const dir = fs.existsSync(ref) ? path.join(base, 'snapshots', fs.readFileSync(ref, 'utf8').trim(), task) : null
  if (!dir || !fs.existsSync(dir)) throw new Error(`glue/${task} is not in the cache (${base}); run \`tbw data pull glue/${task}\` or give the dataset folder`)
  return dir
}
