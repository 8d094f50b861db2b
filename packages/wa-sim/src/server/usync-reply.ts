import type { BinaryNode } from '@whiskeysockets/baileys';
import { child, children } from './binary-nodes.js';

/** What usync needs to know about a user. */
export interface UsyncUser {
  lidJid: string;
  /** Device ids with their key-index (device 0 has none). */
  devices: Array<{ id: number; keyIndex?: number }>;
}

/**
 * Builds the `<usync>` result for a usync query (protocol notes §5). Only `list` is parsed by
 * Baileys; non-zero devices need `key-index` or they are dropped.
 */
export function usyncReply(
  usync: BinaryNode,
  lookup: (jidOrPhone: string) => UsyncUser | undefined,
): BinaryNode {
  const queries = new Set(children(child(usync, 'query')).map((q) => q.tag));
  const users: BinaryNode[] = [];
  for (const user of children(child(usync, 'list'))) {
    if (user.tag !== 'user') continue;
    const contactNode = child(user, 'contact');
    const phone =
      typeof contactNode?.content === 'string'
        ? contactNode.content
        : contactNode?.content instanceof Uint8Array
          ? Buffer.from(contactNode.content).toString('utf8')
          : undefined;
    const key = user.attrs.jid ?? phone ?? '';
    const found = lookup(key);
    const jid = user.attrs.jid ?? `${key.replace(/[^0-9]/g, '')}@s.whatsapp.net`;
    const content: BinaryNode[] = [];
    if (queries.has('contact')) {
      content.push({ tag: 'contact', attrs: { type: found ? 'in' : 'out' } });
    }
    if (queries.has('devices')) {
      const list: BinaryNode[] = (found?.devices ?? []).map((d) => {
        const attrs: Record<string, string> = { id: String(d.id) };
        if (d.id !== 0) attrs['key-index'] = String(d.keyIndex ?? d.id);
        return { tag: 'device', attrs };
      });
      content.push({
        tag: 'devices',
        attrs: {},
        content: [{ tag: 'device-list', attrs: {}, content: list }],
      });
    }
    if (queries.has('lid') && found) {
      content.push({ tag: 'lid', attrs: { val: found.lidJid } });
    }
    users.push({ tag: 'user', attrs: { jid }, content });
  }
  return {
    tag: 'usync',
    attrs: { sid: usync.attrs.sid ?? '', index: '0', last: 'true' },
    content: [
      { tag: 'result', attrs: {}, content: [...queries].map((q) => ({ tag: q, attrs: {} })) },
      { tag: 'list', attrs: {}, content: users },
    ],
  };
}
