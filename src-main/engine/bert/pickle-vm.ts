// A restricted unpickler for PyTorch checkpoints (pytorch_model.bin). It
// implements only the pickle opcodes torch.save emits, and resolves only the
// globals a state dict needs (OrderedDict, the tensor-rebuild functions, the
// storage classes). Any other global — os.system, builtins.eval, … — is refused
// by name before anything could be called: nothing from the file is executed.

export const ALLOWED_GLOBALS = new Set([
  'collections OrderedDict',
  'torch._utils _rebuild_tensor_v2',
  'torch._utils _rebuild_parameter',
  'torch FloatStorage',
  'torch HalfStorage',
  'torch BFloat16Storage',
  'torch DoubleStorage',
  'torch LongStorage',
  'torch IntStorage',
  'torch ShortStorage',
  'torch CharStorage',
  'torch ByteStorage',
  'torch BoolStorage',
])

export class RefusedGlobalError extends Error {
  constructor(readonly global: string) {
    super(`references the Python global "${global.replace(' ', '.')}", which a weights file never needs`)
  }
}

export interface GlobalRef {
  kind: 'global'
  name: string
}

export interface Call {
  kind: 'call'
  fn: string
  args: unknown[]
}

export interface PersistentId {
  kind: 'persid'
  value: unknown
}

const MARK = Symbol('mark')

// Runs the pickle program; REDUCE of an allowed global becomes a Call record
// (the caller decides what it means), persistent ids become PersistentId records.
export function unpickle(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stack: unknown[] = []
  const memo = new Map<number, unknown>()
  let pos = 0
  const fail = (msg: string): never => {
    throw new Error(`pickle: ${msg} at byte ${pos}`)
  }
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('unexpected end of data')
  }
  const u8 = () => (need(1), bytes[pos++])
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true))
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true))
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true))
  const str = (n: number) => {
    need(n)
    pos += n
    return new TextDecoder().decode(bytes.subarray(pos - n, pos))
  }
  const line = () => {
    const end = bytes.indexOf(0x0a, pos)
    if (end < 0) fail('unterminated line')
    const s = new TextDecoder().decode(bytes.subarray(pos, end))
    pos = end + 1
    return s
  }
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK)
    if (i < 0) fail('MARK expected')
    const items = stack.splice(i)
    items.shift()
    return items
  }
  const pop = () => (stack.length ? stack.pop() : fail('stack underflow'))
  const global = (name: string): GlobalRef => {
    if (!ALLOWED_GLOBALS.has(name)) throw new RefusedGlobalError(name)
    return { kind: 'global', name }
  }
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail('SETITEM on a non-dict')
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1])
  }

  for (;;) {
    const op = u8()
    switch (op) {
      case 0x80: u8(); break // PROTO
      case 0x95: pos += 8; break // FRAME
      case 0x2e: return pop() // STOP '.'
      case 0x28: stack.push(MARK); break // MARK '('
      case 0x29: stack.push([]); break // EMPTY_TUPLE ')'
      case 0x74: stack.push(popMark()); break // TUPLE 't'
      case 0x85: stack.push([pop()]); break // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break } // TUPLE2
      case 0x87: { const c = pop(), b = pop(); stack.push([pop(), b, c]); break } // TUPLE3
      case 0x7d: stack.push(new Map()); break // EMPTY_DICT '}'
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break } // DICT 'd'
      case 0x5d: stack.push([]); break // EMPTY_LIST ']'
      case 0x6c: stack.push(popMark()); break // LIST 'l'
      case 0x61: { const v = pop(); (stack.at(-1) as unknown[]).push(v); break } // APPEND 'a'
      case 0x65: { const items = popMark(); (stack.at(-1) as unknown[]).push(...items); break } // APPENDS 'e'
      case 0x73: { const v = pop(), k = pop(); setItems(stack.at(-1), [k, v]); break } // SETITEM 's'
      case 0x75: { const items = popMark(); setItems(stack.at(-1), items); break } // SETITEMS 'u'
      case 0x71: memo.set(u8(), stack.at(-1)); break // BINPUT 'q'
      case 0x72: memo.set(u32(), stack.at(-1)); break // LONG_BINPUT 'r'
      case 0x94: memo.set(memo.size, stack.at(-1)); break // MEMOIZE
      case 0x68: stack.push(memo.get(u8())); break // BINGET 'h'
      case 0x6a: stack.push(memo.get(u32())); break // LONG_BINGET 'j'
      case 0x58: stack.push(str(u32())); break // BINUNICODE 'X'
      case 0x8c: stack.push(str(u8())); break // SHORT_BINUNICODE
      case 0x8d: { const lo = u32(), hi = u32(); if (hi) fail('string too large'); stack.push(str(lo)); break } // BINUNICODE8
      case 0x55: stack.push(str(u8())); break // SHORT_BINSTRING 'U'
      case 0x54: stack.push(str(u32())); break // BINSTRING 'T'
      case 0x43: { const n = u8(); need(n); stack.push(bytes.slice(pos, (pos += n))); break } // SHORT_BINBYTES 'C'
      case 0x42: { const n = u32(); need(n); stack.push(bytes.slice(pos, (pos += n))); break } // BINBYTES 'B'
      case 0x4b: stack.push(u8()); break // BININT1 'K'
      case 0x4d: stack.push(u16()); break // BININT2 'M'
      case 0x4a: stack.push(i32()); break // BININT 'J'
      case 0x8a: { // LONG1
        const n = u8()
        need(n)
        let v = 0n
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pos + i])
        if (n && bytes[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n)
        pos += n
        stack.push(Number(v))
        break
      }
      case 0x47: need(8); pos += 8; stack.push(view.getFloat64(pos - 8, false)); break // BINFLOAT 'G'
      case 0x4e: stack.push(null); break // NONE 'N'
      case 0x88: stack.push(true); break // NEWTRUE
      case 0x89: stack.push(false); break // NEWFALSE
      case 0x63: stack.push(global(`${line()} ${line()}`)); break // GLOBAL 'c'
      case 0x93: { const name = pop(), mod = pop(); stack.push(global(`${mod} ${name}`)); break } // STACK_GLOBAL
      case 0x51: stack.push({ kind: 'persid', value: pop() } satisfies PersistentId); break // BINPERSID 'Q'
      case 0x52: { // REDUCE 'R'
        const args = pop() as unknown[], fn = pop() as GlobalRef
        if (!fn || (fn as GlobalRef).kind !== 'global') fail('REDUCE of something that is not an allowed global')
        stack.push(fn.name === 'collections OrderedDict' ? new Map() : ({ kind: 'call', fn: fn.name, args } satisfies Call))
        break
      }
      case 0x62: pop(); break // BUILD 'b': state for an OrderedDict (its _metadata) is not needed
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (not something torch.save writes)`)
    }
  }
}
