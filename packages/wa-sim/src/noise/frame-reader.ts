/**
 * Splits a websocket byte stream into 3-byte-length-prefixed frames. One ws message may hold
 * several frames or part of one. The client's first bytes carry an intro header
 * (`WA 6 3`, or `ED 0 1 <len3> <routingInfo> WA 6 3`), which is stripped here.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  private introPending = true;

  /** Appends bytes and returns every complete frame. Throws on a malformed intro header. */
  push(data: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    if (this.introPending && !this.stripIntro()) return [];
    const frames: Buffer[] = [];
    while (this.buffer.length >= 3) {
      const size = (this.buffer[0]! << 16) | (this.buffer[1]! << 8) | this.buffer[2]!;
      if (this.buffer.length < size + 3) break;
      frames.push(this.buffer.subarray(3, size + 3));
      this.buffer = this.buffer.subarray(size + 3);
    }
    return frames;
  }

  private stripIntro(): boolean {
    const b = this.buffer;
    if (b.length < 4) return false;
    if (b[0] === 0x57 && b[1] === 0x41) {
      this.buffer = b.subarray(4);
    } else if (b[0] === 0x45 && b[1] === 0x44) {
      if (b.length < 7) return false;
      const len = (b[4]! << 16) | (b[5]! << 8) | b[6]!;
      if (b.length < 7 + len + 4) return false;
      this.buffer = b.subarray(7 + len + 4);
    } else {
      throw new Error('bad intro header: expected WA or ED');
    }
    this.introPending = false;
    return true;
  }
}

/** Prefixes a payload with its 3-byte big-endian length. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(3 + payload.byteLength);
  frame[0] = (payload.byteLength >>> 16) & 0xff;
  frame[1] = (payload.byteLength >>> 8) & 0xff;
  frame[2] = payload.byteLength & 0xff;
  frame.set(payload, 3);
  return frame;
}
