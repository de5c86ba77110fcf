// A decoder for AWS's binary event-stream encoding (application/vnd.amazon.eventstream), the body
// of Bedrock's ConverseStream. Each message is:
//   total length (u32) | headers length (u32) | prelude CRC32 (u32) | headers | payload | message CRC32 (u32)
// with both CRCs over everything before them. A header is: name length (u8), name, value type (u8), value.
// Messages are decoded as their bytes arrive; at most one incomplete message is held.
import { crc32 } from 'node:zlib';

export type HeaderValue = string | number | boolean | bigint | Buffer | Date;

export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Buffer;
}

const PRELUDE = 12;
const MIN_MESSAGE = PRELUDE + 4;
/** AWS's limit on one message (16 MiB); anything longer means the stream is corrupt. */
const MAX_MESSAGE = 16 * 1024 * 1024;

export class EventStreamError extends Error {}

/** Yields each message of a byte stream as soon as it is complete. */
export async function* decodeEventStream(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<EventStreamMessage> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    while (pending.length >= PRELUDE) {
      const total = pending.readUInt32BE(0);
      if (total < MIN_MESSAGE || total > MAX_MESSAGE) throw new EventStreamError(`invalid event-stream message length ${total}`);
      if (pending.length < total) break;
      yield decodeMessage(pending.subarray(0, total));
      pending = pending.subarray(total);
    }
  }
  if (pending.length > 0) throw new EventStreamError('the event stream ended inside a message');
}

function decodeMessage(message: Buffer): EventStreamMessage {
  if (crc32(message.subarray(0, 8)) !== message.readUInt32BE(8)) throw new EventStreamError('event-stream prelude checksum mismatch');
  const end = message.length - 4;
  if (crc32(message.subarray(0, end)) !== message.readUInt32BE(end)) throw new EventStreamError('event-stream message checksum mismatch');
  const headersEnd = PRELUDE + message.readUInt32BE(4);
  if (headersEnd > end) throw new EventStreamError('event-stream headers overrun the message');
  return { headers: decodeHeaders(message.subarray(PRELUDE, headersEnd)), payload: message.subarray(headersEnd, end) };
}

function decodeHeaders(bytes: Buffer): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > bytes.length) throw new EventStreamError('event-stream header overruns its block');
    const slice = bytes.subarray(at, at + n);
    at += n;
    return slice;
  };
  while (at < bytes.length) {
    const name = take(take(1)[0]).toString('utf8');
    const type = take(1)[0];
    headers[name] = readValue(type, take);
  }
  return headers;
}

/** Value types 0-9 of the encoding: booleans, signed integers, byte arrays, strings, timestamps, UUIDs. */
function readValue(type: number, take: (n: number) => Buffer): HeaderValue {
  switch (type) {
    case 0:
      return true;
    case 1:
      return false;
    case 2:
      return take(1).readInt8(0);
    case 3:
      return take(2).readInt16BE(0);
    case 4:
      return take(4).readInt32BE(0);
    case 5:
      return take(8).readBigInt64BE(0);
    case 6:
      return Buffer.from(take(take(2).readUInt16BE(0)));
    case 7:
      return take(take(2).readUInt16BE(0)).toString('utf8');
    case 8:
      return new Date(Number(take(8).readBigInt64BE(0)));
    case 9:
      return take(16).toString('hex');
    default:
      throw new EventStreamError(`unknown event-stream header type ${type}`);
  }
}
