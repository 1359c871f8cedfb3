// The long connection's wire format: protobuf `pbbp2.Frame` (node-sdk ws-client), written here by hand so
// that the simulator does not share the client's generated code (a bug in one would hide in the other).
//   message Header { required string key = 1; required string value = 2; }
//   message Frame { required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3;
//     required int32 method = 4; repeated Header headers = 5; optional string payloadEncoding = 6;
//     optional string payloadType = 7; optional bytes payload = 8; optional string LogIDNew = 9; }

export interface FrameHeader {
  key: string
  value: string
}

export interface Frame {
  SeqID: number
  LogID: number
  service: number
  /** 0 control (ping, pong), 1 data (event, card). */
  method: number
  headers: FrameHeader[]
  payload?: Uint8Array
}

export const FRAME_CONTROL = 0
export const FRAME_DATA = 1

/** A frame that is no pbbp2.Frame (truncated, a wrong wire type, a required field missing). */
export class FrameDecodeError extends Error {
  override name = 'FrameDecodeError'
}

class Writer {
  readonly #bytes: number[] = []

  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a varint: ${value}`)
    let rest = value
    while (rest >= 0x80) {
      this.#bytes.push((rest % 0x80) | 0x80)
      rest = Math.floor(rest / 0x80)
    }
    this.#bytes.push(rest)
    return this
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType)
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length)
    for (const byte of value) this.#bytes.push(byte)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes)
  }
}

export function encodeFrame(frame: Frame): Uint8Array {
  const writer = new Writer()
  writer.tag(1, 0).varint(frame.SeqID)
  writer.tag(2, 0).varint(frame.LogID)
  writer.tag(3, 0).varint(frame.service)
  writer.tag(4, 0).varint(frame.method)
  for (const header of frame.headers) {
    writer.bytes(5, new Writer().string(1, header.key).string(2, header.value).finish())
  }
  if (frame.payload !== undefined) writer.bytes(8, frame.payload)
  return writer.finish()
}

class Reader {
  #pos = 0
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#pos >= this.bytes.length
  }

  varint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      const byte = this.bytes[this.#pos++]
      if (byte === undefined) throw new FrameDecodeError('truncated varint')
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 0x80
    }
    throw new FrameDecodeError('varint longer than 10 bytes')
  }

  bytesField(): Uint8Array {
    const length = this.varint()
    if (this.#pos + length > this.bytes.length) throw new FrameDecodeError('truncated field')
    const value = this.bytes.subarray(this.#pos, this.#pos + length)
    this.#pos += length
    return value
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint()
    else if (wireType === 2) this.bytesField()
    else if (wireType === 1 || wireType === 5) this.#pos += wireType === 1 ? 8 : 4
    else throw new FrameDecodeError(`unknown wire type ${wireType}`)
  }
}

function decodeHeader(bytes: Uint8Array): FrameHeader {
  const reader = new Reader(bytes)
  const header = { key: '', value: '' }
  while (!reader.done) {
    const tag = reader.varint()
    const field = Math.floor(tag / 8)
    if (field === 1 || field === 2) {
      const text = new TextDecoder().decode(reader.bytesField())
      if (field === 1) header.key = text
      else header.value = text
    } else reader.skip(tag % 8)
  }
  return header
}

export function decodeFrame(bytes: Uint8Array): Frame {
  const reader = new Reader(bytes)
  const seen = new Set<number>()
  const frame: Frame = { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [] }
  while (!reader.done) {
    const tag = reader.varint()
    const field = Math.floor(tag / 8)
    const wireType = tag % 8
    seen.add(field)
    if (field >= 1 && field <= 4) {
      if (wireType !== 0) throw new FrameDecodeError(`field ${field} is not a varint`)
      const value = reader.varint()
      if (field === 1) frame.SeqID = value
      else if (field === 2) frame.LogID = value
      else if (field === 3) frame.service = value
      else frame.method = value
    } else if (field === 5 && wireType === 2) frame.headers.push(decodeHeader(reader.bytesField()))
    else if (field === 8 && wireType === 2) frame.payload = reader.bytesField()
    else reader.skip(wireType)
  }
  for (const required of [1, 2, 3, 4]) {
    if (!seen.has(required)) throw new FrameDecodeError(`required field ${required} is missing`)
  }
  return frame
}

export function frameHeader(frame: Frame, key: string): string | undefined {
  return frame.headers.find((header) => header.key === key)?.value
}
