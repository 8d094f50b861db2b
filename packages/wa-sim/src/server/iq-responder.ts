import type { BinaryNode } from '@whiskeysockets/baileys';
import { bigEndian, child, childBytes, children, iqResult, readBigEndian } from './binary-nodes.js';
import type { SimConnection } from './sim-connection.js';
import { usyncReply } from './usync-reply.js';
import type { WaSim } from './wa-sim.js';
import type { PreKeyBundle } from '../signal/signal-identity.js';

const PRIVACY_DEFAULTS: Array<[string, string]> = [
  ['readreceipts', 'all'],
  ['last', 'all'],
  ['online', 'all'],
  ['profile', 'all'],
  ['status', 'all'],
  ['groupadd', 'all'],
  ['calladd', 'all'],
];

function bundleNode(jid: string, b: PreKeyBundle): BinaryNode {
  return {
    tag: 'user',
    attrs: { jid },
    content: [
      { tag: 'registration', attrs: {}, content: bigEndian(b.registrationId, 4) },
      ...bundleNodes(b),
    ],
  };
}

/** A bundle's keys as nodes (`type`, `identity`, `skey`, `key`), as in prekey replies and retry receipts. */
export function bundleNodes(b: PreKeyBundle): BinaryNode[] {
  const content: BinaryNode[] = [
    { tag: 'type', attrs: {}, content: Buffer.from([5]) },
    { tag: 'identity', attrs: {}, content: b.identity },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(b.signedPreKey.id, 3) },
        { tag: 'value', attrs: {}, content: b.signedPreKey.public },
        { tag: 'signature', attrs: {}, content: b.signedPreKey.signature },
      ],
    },
  ];
  if (b.preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: bigEndian(b.preKey.id, 3) },
        { tag: 'value', attrs: {}, content: b.preKey.public },
      ],
    });
  }
  return content;
}

/** Bundle for `jid`: device 0 of a simulated user, or another companion of a phone. */
function bundleFor(sim: WaSim, jid: string): PreKeyBundle | undefined {
  const user = sim.user(jid);
  if (!user) return undefined;
  const device = Number(jid.split('@')[0]!.split(':')[1] ?? 0);
  if (device === 0) return user.signal.bundle();
  const companion = [...sim.companions.values()].find(
    (c) => c.jid === `${user.number}:${device}@s.whatsapp.net`,
  );
  if (!companion) return undefined;
  const pk = companion.preKeys.shift();
  return {
    registrationId: companion.registrationId,
    identity: companion.identityKey,
    signedPreKey: companion.signedPreKey,
    ...(pk ? { preKey: { id: pk[0], public: pk[1] } } : {}),
  };
}

function storeUpload(sim: WaSim, conn: SimConnection, iq: BinaryNode): void {
  const companion = sim.companionOf(conn);
  if (!companion) return;
  const reg = childBytes(iq, 'registration');
  if (reg) companion.registrationId = readBigEndian(reg);
  const ident = childBytes(iq, 'identity');
  if (ident) companion.identityKey = ident;
  for (const key of children(child(iq, 'list'))) {
    const id = childBytes(key, 'id');
    const value = childBytes(key, 'value');
    if (id && value) companion.preKeys.push([readBigEndian(id), value]);
  }
  const skey = child(iq, 'skey');
  const sid = childBytes(skey, 'id');
  const sval = childBytes(skey, 'value');
  const ssig = childBytes(skey, 'signature');
  if (sid && sval && ssig)
    companion.signedPreKey = { id: readBigEndian(sid), public: sval, signature: ssig };
}

/**
 * Answers one client iq (protocol notes §4–§5). Every iq gets an answer, because an unanswered
 * one stalls the client for `defaultQueryTimeoutMs`; unknown ones get an empty result and are logged.
 */
export function answerIq(sim: WaSim, conn: SimConnection, iq: BinaryNode): void {
  const xmlns = iq.attrs.xmlns ?? '';
  const first = children(iq)[0];
  const reply = (content?: BinaryNode[]): void => conn.send(iqResult(iq, content));
  switch (`${xmlns}/${first?.tag ?? ''}`) {
    case 'encrypt/count': {
      const c = sim.companionOf(conn);
      const count = c?.reportPreKeyCount ?? c?.preKeys.length ?? 0;
      return reply([{ tag: 'count', attrs: { value: String(count) } }]);
    }
    case 'encrypt/registration':
    case 'encrypt/list':
    case 'encrypt/identity':
    case 'encrypt/type':
      storeUpload(sim, conn, iq);
      return reply();
    case 'encrypt/rotate': {
      storeUpload(sim, conn, first!);
      return reply();
    }
    case 'encrypt/digest':
      return reply([{ tag: 'digest', attrs: {} }]);
    case 'encrypt/key': {
      const users = children(first).filter((u) => u.tag === 'user' && u.attrs.jid);
      const list = users.map((u) => {
        const jid = u.attrs.jid!;
        const b = bundleFor(sim, jid);
        return b
          ? bundleNode(jid, b)
          : {
              tag: 'user',
              attrs: { jid },
              content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }],
            };
      });
      return reply([{ tag: 'list', attrs: {}, content: list }]);
    }
    case 'passive/active':
      reply();
      sim.markReady(conn);
      return;
    case 'passive/passive':
      return reply();
    case 'abt/props':
      return reply([{ tag: 'props', attrs: { protocol: '1', hash: 'wa-sim' } }]);
    case 'w:p/ping':
      return reply();
    case 'blocklist/':
      return reply([{ tag: 'list', attrs: {} }]);
    case 'privacy/privacy':
      return reply([
        {
          tag: 'privacy',
          attrs: {},
          content: PRIVACY_DEFAULTS.map(([name, value]) => ({
            tag: 'category',
            attrs: { name, value },
          })),
        },
      ]);
    case 'privacy/tokens':
      return reply();
    case 'usync/usync':
      return reply([
        usyncReply(first!, (key) => {
          const user = sim.user(key.startsWith('+') ? key.slice(1) : key);
          if (!user) return undefined;
          const devices: Array<{ id: number; keyIndex?: number }> = [{ id: 0 }];
          // Only the asking companion is listed besides device 0; the sim does not fan out
          // between companions, so listing others would make the client encrypt for them.
          const self = sim.companionOf(conn);
          if (self && self.jid.startsWith(`${user.number}:`))
            devices.push({ id: self.deviceId, keyIndex: self.keyIndex });
          return { lidJid: user.lidJid, devices };
        }),
      ]);
    case 'w:m/media_conn':
      return reply([
        {
          tag: 'media_conn',
          attrs: { auth: sim.media?.authToken ?? 'none', ttl: '3600' },
          content: sim.media
            ? [
                {
                  tag: 'host',
                  attrs: { hostname: sim.media.hostname, maxContentLengthBytes: '104857600' },
                },
              ]
            : [],
        },
      ]);
    case 'md/link_code_companion_reg': {
      const content = sim.onLinkCode(conn, iq);
      const stage = first!.attrs.stage;
      if (stage === 'companion_finish') return reply();
      if (content) reply([content]);
      return;
    }
    case 'md/remove-companion-device': {
      const jid = first!.attrs.jid;
      reply();
      if (jid) sim.unlink(jid);
      return;
    }
    default:
      sim.counters.unknownIqs++;
      sim.unknownIqs.push(`${xmlns}/${first?.tag ?? ''}`);
      sim.log.info({ xmlns, child: first?.tag, type: iq.attrs.type }, 'unknown iq: empty result');
      return reply();
  }
}
