// One-operator ONNX models for the ONNX Runtime side of the kernel benchmarks,
// built with onnx-proto (the ONNX protobuf schema).
import onnxProto from 'onnx-proto'

const { onnx } = onnxProto
const FLOAT = onnx.TensorProto.DataType.FLOAT

function valueInfo(name, dims) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  })
}

function intAttr(name, value) {
  return onnx.AttributeProto.create({ name, i: value, type: onnx.AttributeProto.AttributeType.INT })
}

// y = op(a, b): `b` is a constant initializer (weights) or a second input when bData is null.
// op 'MatMul' or 'Gemm' (with transA/transB attributes).
export function twoInputModel({ op, aDims, bDims, yDims, bData = null, transA = 0, transB = 0 }) {
  const attribute = op === 'Gemm' ? [intAttr('transA', transA), intAttr('transB', transB)] : []
  const graph = onnx.GraphProto.create({
    name: `bench_${op}`,
    node: [onnx.NodeProto.create({ opType: op, input: ['a', 'b'], output: ['y'], attribute })],
    initializer: bData
      ? [onnx.TensorProto.create({ name: 'b', dims: bDims, dataType: FLOAT, rawData: new Uint8Array(bData.buffer, bData.byteOffset, bData.byteLength) })]
      : [],
    input: bData ? [valueInfo('a', aDims)] : [valueInfo('a', aDims), valueInfo('b', bDims)],
    output: [valueInfo('y', yDims)],
  })
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'tbw-bench', graph })
  return onnx.ModelProto.encode(model).finish()
}
