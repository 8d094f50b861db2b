import type { BinaryNode } from '@whiskeysockets/baileys';

/** The server jid every iq comes from. */
export const SERVER_JID = 's.whatsapp.net';

/** Child nodes of `node`, or none. */
export function children(node: BinaryNode | undefined): BinaryNode[] {
  return Array.isArray(node?.content) ? node.content : [];
}

/** The first child with `tag`. */
export function child(node: BinaryNode | undefined, tag: string): BinaryNode | undefined {
  return children(node).find((c) => c.tag === tag);
}

/** A child's content as bytes. */
export function childBytes(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  const c = child(node, tag)?.content;
  if (c instanceof Uint8Array) return Buffer.from(c);
  if (typeof c === 'string') return Buffer.from(c, 'utf8');
  return undefined;
}

/** A result iq answering `request`, with optional children. */
export function iqResult(request: BinaryNode, content?: BinaryNode[]): BinaryNode {
  const attrs: Record<string, string> = {
    id: request.attrs.id ?? '',
    type: 'result',
    from: SERVER_JID,
  };
  return content ? { tag: 'iq', attrs, content } : { tag: 'iq', attrs };
}

/** Current server time in whole seconds, as WhatsApp's `t` attributes carry it. */
export function unixSeconds(): string {
  return Math.floor(Date.now() / 1000).toString();
}

/** Big-endian encoding of `value` in `length` bytes. */
export function bigEndian(value: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = length - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) b[i] = v & 0xff;
  return b;
}

/** Reads a big-endian unsigned integer. */
export function readBigEndian(bytes: Uint8Array): number {
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}
