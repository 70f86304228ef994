// Models: open a Hugging Face folder or pull one by id; see its architecture,
// parameter count and size, and how its tokenizer splits a sentence pair.
import { useCallback, useState } from 'react'
import type { ModelInfo, TokenizedPair } from '../../../src-main/contract/types'
import { api } from '../../lib/api'
import { formatBytes, formatCount } from '../../lib/format'
import { HubPull } from './HubPull'
import { PathForm } from './PathForm'
import { useLibraryStore } from './store'

export function ModelsPage() {
  const { modelPath, model, modelError, modelBusy, openModel } = useLibraryStore()
  const onPulled = useCallback((dir: string) => void openModel(dir), [openModel])
  return (
    <section className="page models-page">
      <h1>Models</h1>
      <div className="card wide">
        <PathForm label="Model folder" initial={modelPath} busy={modelBusy} action="Open" placeholder="/path/to/model (config.json, vocab.txt, model.safetensors)" onSubmit={openModel} />
        <HubPull kind="model" placeholder="huawei-noah/TinyBERT_General_4L_312D" onDone={onPulled} />
        <p className="muted small">
          No model yet? <code>tbw model init --preset tinybert-4l-312d --vocab vocab.txt --out DIR</code> writes a TinyBERT-shaped folder with seeded random weights.
        </p>
      </div>
      {modelError && <p className="error">{modelError}</p>}
      {model && <ModelCard model={model} />}
      {model && <TokenizerPreview dir={model.dir} />}
    </section>
  )
}

function ModelCard({ model }: { model: ModelInfo }) {
  const facts: [string, string][] = [
    ['Architecture', model.architecture],
    ['Layers', String(model.layers)],
    ['Hidden', String(model.hidden)],
    ['Heads', `${model.heads} × ${model.headSize}`],
    ['Intermediate', String(model.intermediate)],
    ['Vocabulary', formatCount(model.vocabSize)],
    ['Max positions', String(model.maxPositions)],
    ['Labels', model.labels.join(', ')],
    ['Parameters', `${formatCount(model.parametersInFile)} in the file`],
    ['As a classifier', `${formatCount(model.parametersForClassification)} (BertForSequenceClassification)`],
    ['Weights', `${model.weightsFile.split(/[\\/]/).pop()} · ${formatBytes(model.weightsBytes)} · ${Object.entries(model.dtypes).map(([d, n]) => `${d} ${formatCount(n)}`).join(', ')}`],
    ['Tokenizer', model.tokenizerFiles.join(', ') || 'none'],
  ]
  return (
    <div className="card wide" data-testid="model-card">
      <h2>{model.dir}</h2>
      {model.randomWeights && (
        <p className="warning" data-testid="random-weights">
          Random weights: {model.randomWeights}. Use it to try the workbench, not to judge accuracy.
        </p>
      )}
      <dl className="facts">
        {facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd data-fact={k}>{v}</dd>
          </div>
        ))}
      </dl>
      <details>
        <summary>config.json</summary>
        <pre className="json">{JSON.stringify(model.config, null, 2)}</pre>
      </details>
      <details>
        <summary>Files ({model.files.length})</summary>
        <table className="plain">
          <tbody>
            {model.files.map((f) => (
              <tr key={f.name}>
                <td>{f.name}</td>
                <td>{formatBytes(f.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  )
}

function TokenizerPreview({ dir }: { dir: string }) {
  const [a, setA] = useState('The company said profits rose 5% in the quarter.')
  const [b, setB] = useState("Profits increased by five percent, the firm's statement said.")
  const [maxLength, setMaxLength] = useState(128)
  const [out, setOut] = useState<TokenizedPair | null>(null)
  const [error, setError] = useState<string | null>(null)
  const run = () =>
    api.call('models.tokenize', { path: dir, a, b: b || null, maxLength }).then(
      (r) => (setOut(r), setError(null)),
      (e: Error) => (setOut(null), setError(e.message)),
    )
  return (
    <div className="card wide" data-testid="tokenizer-preview">
      <h2>Tokenizer preview</h2>
      <div className="form-grid">
        <label>
          Sentence A <input value={a} onChange={(e) => setA(e.target.value)} aria-label="sentence A" />
        </label>
        <label>
          Sentence B <input value={b} onChange={(e) => setB(e.target.value)} aria-label="sentence B" placeholder="(optional)" />
        </label>
        <label>
          Max length <input type="number" min={3} max={8192} value={maxLength} onChange={(e) => setMaxLength(Number(e.target.value))} aria-label="max length" />
        </label>
      </div>
      <button className="primary" onClick={() => void run()}>
        Tokenize
      </button>
      {error && <p className="error">{error}</p>}
      {out && (
        <>
          <p className="muted">
            {out.ids.length} tokens{out.truncated ? ` (truncated from ${out.length}, longest first)` : ''}
          </p>
          <div className="tokens" data-testid="tokens">
            {out.tokens.map((t, i) => (
              <span key={i} className={`token seg${out.tokenTypeIds[i]}`} title={`id ${out.ids[i]} · segment ${out.tokenTypeIds[i]}`}>
                {t}
              </span>
            ))}
          </div>
        </>
      )}
    </div>
  )
}
