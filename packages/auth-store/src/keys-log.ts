/*
 * The file backend's signal-key log: append-only records, one per keys.set call, so a call is
 * atomic (a record is whole or ignored) and costs O(items), not O(session). A record is
 *
 *   0xA7 | payload length (u32 BE) | CRC-32 of payload (u32 BE) | payload
 *   payload = entry count (u32 BE) then entries:
 *     field length (u16 BE) | field (UTF-8) | value length (u32 BE, 0xFFFFFFFF = delete) | value
 *
 * A crash mid-append leaves a torn last record; parsing stops at the first record that is not
 * whole and consistent, and the loader truncates the file there.
 */

const MAGIC = 0xa7;
const HEADER_BYTES = 9;
const DELETE = 0xffffffff;
const MAX_FIELD_BYTES = 0xffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE), as zlib computes it; written out because `zlib.crc32` is missing in older Node 20. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** One change in a record: a value to store, or `null` to delete the field. */
export type LogEntry = readonly [field: string, value: Buffer | null];

/** Serialises one record. */
export function encodeRecord(entries: readonly LogEntry[]): Buffer {
  const fields = entries.map(([field]) => Buffer.from(field, 'utf8'));
  let size = 4;
  for (const [i, [, value]] of entries.entries()) {
    const fieldBytes = fields[i] as Buffer;
    if (fieldBytes.length > MAX_FIELD_BYTES) {
      throw new Error(`signal key field longer than ${MAX_FIELD_BYTES} bytes`);
    }
    size += 2 + fieldBytes.length + 4 + (value?.length ?? 0);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + size);
  let at = HEADER_BYTES;
  out.writeUInt32BE(entries.length, at);
  at += 4;
  for (const [i, [, value]] of entries.entries()) {
    const fieldBytes = fields[i] as Buffer;
    out.writeUInt16BE(fieldBytes.length, at);
    at += 2;
    at += fieldBytes.copy(out, at);
    if (value === null) {
      out.writeUInt32BE(DELETE, at);
      at += 4;
    } else {
      out.writeUInt32BE(value.length, at);
      at += 4;
      at += value.copy(out, at);
    }
  }
  out[0] = MAGIC;
  out.writeUInt32BE(size, 1);
  out.writeUInt32BE(crc32(out.subarray(HEADER_BYTES)), 5);
  return out;
}

/** The records of a log, and where the whole, valid part of it ends. */
export interface ParsedLog {
  records: LogEntry[][];
  validBytes: number;
}

function parsePayload(payload: Buffer): LogEntry[] | undefined {
  if (payload.length < 4) return undefined;
  const count = payload.readUInt32BE(0);
  const entries: LogEntry[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > payload.length) return undefined;
    const fieldLength = payload.readUInt16BE(at);
    at += 2;
    if (at + fieldLength + 4 > payload.length) return undefined;
    const field = payload.toString('utf8', at, at + fieldLength);
    at += fieldLength;
    const valueLength = payload.readUInt32BE(at);
    at += 4;
    if (valueLength === DELETE) {
      entries.push([field, null]);
      continue;
    }
    if (at + valueLength > payload.length) return undefined;
    // Copy: the caller keeps values long after the file buffer is gone.
    entries.push([field, Buffer.from(payload.subarray(at, at + valueLength))]);
    at += valueLength;
  }
  return at === payload.length ? entries : undefined;
}

/** Parses a log up to its first torn or corrupt record. */
export function parseLog(bytes: Buffer): ParsedLog {
  const records: LogEntry[][] = [];
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    if (bytes[at] !== MAGIC) break;
    const size = bytes.readUInt32BE(at + 1);
    const end = at + HEADER_BYTES + size;
    if (end > bytes.length) break;
    const payload = bytes.subarray(at + HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32BE(at + 5)) break;
    const entries = parsePayload(payload);
    if (!entries) break;
    records.push(entries);
    at = end;
  }
  return { records, validBytes: at };
}
