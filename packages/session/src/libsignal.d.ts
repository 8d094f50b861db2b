declare module 'libsignal/src/curve.js' {
  /** Returns whether `sig` is a valid signature of `msg` by `pubKey` (33 bytes with 0x05, or 32). Throws on malformed input. */
  export function verifySignature(
    pubKey: Uint8Array,
    msg: Uint8Array,
    sig: Uint8Array,
    isInit?: boolean,
  ): boolean;
}
