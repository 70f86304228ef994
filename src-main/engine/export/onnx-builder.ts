// A small ONNX graph builder over onnx-proto (the ONNX protobuf schema): initializers, nodes
// with generated output names, attributes, and the model with its opset imports.
import onnxProto from 'onnx-proto'

const { onnx } = onnxProto
export const DT = onnx.TensorProto.DataType

type Attr = number | number[] | string | { t: 'float'; v: number }
type InitData = Float32Array | BigInt64Array | Int8Array | Uint8Array

export class OnnxGraph {
  private readonly nodes: ReturnType<typeof onnx.NodeProto.create>[] = []
  private readonly inits: ReturnType<typeof onnx.TensorProto.create>[] = []
  private readonly names = new Set<string>()
  private counter = 0

  // A constant tensor; its name is returned.
  init(name: string, dims: number[], data: InitData): string {
    if (this.names.has(name)) throw new Error(`duplicate ONNX initializer ${name}`)
    this.names.add(name)
    const dataType =
      data instanceof Float32Array ? DT.FLOAT : data instanceof BigInt64Array ? DT.INT64 : data instanceof Int8Array ? DT.INT8 : DT.UINT8
    const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    this.inits.push(onnx.TensorProto.create({ name, dims, dataType, rawData }))
    return name
  }

  scalar(name: string, v: number): string {
    return this.init(name, [], new Float32Array([v]))
  }

  ints(name: string, v: number[], dims: number[] = [v.length]): string {
    return this.init(name, dims, BigInt64Array.from(v.map(BigInt)))
  }

  // One node; returns its first output's name (more with `outputs`).
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, o: { outputs?: number; domain?: string; name?: string } = {}): string {
    const outs = this.nodeOutputs(op, inputs, attrs, o)
    return outs[0]
  }

  nodeOutputs(op: string, inputs: string[], attrs: Record<string, Attr> = {}, o: { outputs?: number; domain?: string; name?: string } = {}): string[] {
    const id = this.counter++
    const base = o.name ?? `${op.toLowerCase()}_${id}`
    const output = Array.from({ length: o.outputs ?? 1 }, (_, i) => (i === 0 ? base : `${base}_${i}`))
    const attribute = Object.entries(attrs).map(([name, v]) => {
      const T = onnx.AttributeProto.AttributeType
      if (typeof v === 'string') return onnx.AttributeProto.create({ name, s: new TextEncoder().encode(v), type: T.STRING })
      if (Array.isArray(v)) return onnx.AttributeProto.create({ name, ints: v, type: T.INTS })
      if (typeof v === 'object') return onnx.AttributeProto.create({ name, f: v.v, type: T.FLOAT })
      return onnx.AttributeProto.create({ name, i: v, type: T.INT })
    })
    this.nodes.push(onnx.NodeProto.create({ opType: op, input: inputs, output, attribute, name: `n${id}_${op}`, domain: o.domain ?? '' }))
    return output
  }

  encode(o: { inputs: { name: string; type: number; dims: (number | string)[] }[]; outputs: { name: string; type: number; dims: (number | string)[] }[]; microsoft: boolean; producer: string }): Uint8Array {
    const valueInfo = (v: { name: string; type: number; dims: (number | string)[] }) =>
      onnx.ValueInfoProto.create({
        name: v.name,
        type: { tensorType: { elemType: v.type, shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
      })
    const graph = onnx.GraphProto.create({
      name: 'tbw_bert_sequence_classification',
      node: this.nodes,
      initializer: this.inits,
      input: o.inputs.map(valueInfo),
      output: o.outputs.map(valueInfo),
    })
    const opsetImport = [{ domain: '', version: 17 }, ...(o.microsoft ? [{ domain: 'com.microsoft', version: 1 }] : [])]
    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport, producerName: o.producer, graph })
    return onnx.ModelProto.encode(model).finish()
  }
}
