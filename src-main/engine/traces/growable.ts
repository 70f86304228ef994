import fs from 'node:fs'

// Columns of numbers that grow without one JS object per value: a trace of
// millions of events stays a few bytes per event while it is read.
type NumberArray = Float64Array | Uint32Array

// A typed array that doubles when full; `view()` is the filled part.
class Growable<T extends NumberArray> {
  length = 0
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.length++] = v
  }

  view(): T {
    return this.data.subarray(0, this.length) as T
  }
}

export class GrowableF64 extends Growable<Float64Array> {
  constructor() {
    super(new Float64Array(1024), (n) => new Float64Array(n))
  }
}

export class GrowableU32 extends Growable<Uint32Array> {
  constructor() {
    super(new Uint32Array(1024), (n) => new Uint32Array(n))
  }
}

// Appends to a file through a 1 MB buffer; `position` counts bytes written so far.
export class BufferedFile {
  private readonly fd: number
  private buffer = Buffer.allocUnsafe(1 << 20)
  private used = 0
  position = 0

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w')
  }

  // Room for `bytes` more at the end of the buffer; returns the buffer and the offset to write at.
  reserve(bytes: number): [Buffer, number] {
    if (this.used + bytes > this.buffer.length) this.flush()
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes)
    const at = this.used
    this.used += bytes
    this.position += bytes
    return [this.buffer, at]
  }

  writeString(s: string): number {
    const bytes = Buffer.byteLength(s)
    const [buf, at] = this.reserve(bytes)
    buf.write(s, at)
    return bytes
  }

  flush(): void {
    let done = 0
    while (done < this.used) done += fs.writeSync(this.fd, this.buffer, done, this.used - done)
    this.used = 0
  }

  close(): void {
    this.flush()
    fs.closeSync(this.fd)
  }
}
