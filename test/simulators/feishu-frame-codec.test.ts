// The simulator's pbbp2.Frame codec against bytes worked out by hand from the protobuf wire format (the
// SDK's generated encoder writes the four required fields first, then the headers, then the payload).
import t from 'tap'
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  FrameDecodeError,
} from '../../src/simulators/feishu/frame-codec.js'

const ascii = (text: string) => [...text].map((char) => char.charCodeAt(0))

t.test('a ping frame encodes to the wire bytes and back', async (t) => {
  const ping: Frame = { SeqID: 1, LogID: 2, service: 3, method: 0, headers: [{ key: 'type', value: 'ping' }] }
  const bytes = [
    0x08,
    1,
    0x10,
    2,
    0x18,
    3,
    0x20,
    0,
    0x2a,
    12,
    0x0a,
    4,
    ...ascii('type'),
    0x12,
    4,
    ...ascii('ping'),
  ]
  t.same([...encodeFrame(ping)], bytes)
  t.same(decodeFrame(Uint8Array.from(bytes)), ping)
})

t.test('multi-byte varints, a payload, and fields the codec does not know are skipped', async (t) => {
  const frame: Frame = {
    SeqID: 300,
    LogID: 2 ** 40 + 5,
    service: 33_554_678,
    method: 1,
    headers: [
      { key: 'type', value: 'event' },
      { key: 'message_id', value: 'msg-1' },
    ],
    payload: new TextEncoder().encode('{"code":200}'),
  }
  const bytes = encodeFrame(frame)
  t.same([...bytes.subarray(0, 3)], [0x08, 0xac, 0x02], '300 as a varint')
  t.same(decodeFrame(bytes), frame)
  // payloadType (7, a string) and LogIDNew (9) as the SDK may send them.
  const extra = Uint8Array.from([...bytes, 0x3a, 2, ...ascii('pb'), 0x4a, 1, ...ascii('x')])
  t.same(decodeFrame(extra), frame)
})

t.test('a frame without its required fields, or cut short, is refused', async (t) => {
  t.throws(() => decodeFrame(Uint8Array.from([0x08, 1, 0x10, 2, 0x18, 3])), FrameDecodeError)
  const bytes = encodeFrame({
    SeqID: 1,
    LogID: 1,
    service: 1,
    method: 1,
    headers: [{ key: 'a', value: 'b' }],
  })
  t.throws(() => decodeFrame(bytes.subarray(0, bytes.length - 1)), FrameDecodeError)
})
