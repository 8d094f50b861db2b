import type { AnyMessageContent, WAMessageKey } from '@whiskeysockets/baileys';
import {
  DEFAULT_SEND_LIMITS,
  SendError,
  type SendContext,
  type SendJob,
  type SendResult,
  type SendTransport,
} from '@wafleet/queue';
import type { SessionRunner } from '@wafleet/session';
import { fetchMedia } from './media-fetch.js';
import { watchOpen } from './watch-open.js';

/** How long a "not on WhatsApp" answer is trusted before asking again. */
const EXISTS_TTL_MS = 10 * 60_000;

/**
 * The send transport of a Baileys session: maps a validated `SendJob` to Baileys content, sends it
 * with the job's fixed message id and resolves when the server acknowledges it.
 */
export class BaileysSendTransport implements SendTransport {
  private readonly known = new Map<string, { exists: boolean; at: number }>();

  constructor(
    private readonly runner: SessionRunner,
    private readonly limits = DEFAULT_SEND_LIMITS,
  ) {}

  /**
   * True while the session can send, and also once it is logged out: then the consumer takes the
   * jobs and `send` fails each at once with `session_logged_out` instead of letting them wait forever.
   */
  isOpen(): boolean {
    return this.runner.state === 'open' || this.runner.state === 'logged_out';
  }

  onOpenChange(listener: (open: boolean) => void): () => void {
    return watchOpen(this.runner, () => this.isOpen(), listener);
  }

  async send(job: SendJob, context: SendContext): Promise<SendResult> {
    if (this.runner.state === 'logged_out') {
      throw new SendError('session_logged_out', 'the session is logged out: link the device again');
    }
    if (!this.isOpen()) throw new SendError('socket_closed', 'the session is not open');
    if (job.to.endsWith('@s.whatsapp.net')) await this.assertOnWhatsApp(job.to);
    const content = await this.toBaileys(job);
    const acked = this.waitForAck(job.messageId, context.signal);
    try {
      const replyTo = 'replyTo' in job.content ? job.content.replyTo : undefined;
      await this.runner.sendMessage(job.to, content, {
        messageId: job.messageId,
        // Baileys quotes a whole message; the id is what WhatsApp links the reply to.
        ...(replyTo
          ? {
              quoted: {
                key: { remoteJid: job.to, id: replyTo, fromMe: false },
                message: { conversation: '' },
              },
            }
          : {}),
      });
    } catch (err) {
      acked.cancel();
      const code = (err as { code?: string }).code;
      if (code === 'SESSION_NOT_OPEN')
        throw new SendError('socket_closed', 'the session closed before the send', { cause: err });
      throw err;
    }
    const sentAt = await acked.promise;
    return { messageId: job.messageId, sentAt };
  }

  private async assertOnWhatsApp(jid: string): Promise<void> {
    const cached = this.known.get(jid);
    if (cached && Date.now() - cached.at < EXISTS_TTL_MS) {
      if (!cached.exists)
        throw new SendError('not_on_whatsapp', `${maskJid(jid)} is not on WhatsApp`);
      return;
    }
    const sock = this.runner.socket;
    if (!sock) throw new SendError('socket_closed', 'the session is not open');
    const [result] = (await sock.onWhatsApp(jid)) ?? [];
    const exists = result?.exists === true;
    this.known.set(jid, { exists, at: Date.now() });
    if (!exists) throw new SendError('not_on_whatsapp', `${maskJid(jid)} is not on WhatsApp`);
  }

  /** Resolves with the ack time; rejects on an error ack; aborted by the consumer's ack timeout. */
  private waitForAck(
    messageId: string,
    signal: AbortSignal,
  ): { promise: Promise<number>; cancel: () => void } {
    let cleanup = () => {};
    const promise = new Promise<number>((resolve, reject) => {
      const onReceipt = (r: { messageId: string; status: string; error?: string }) => {
        if (r.messageId !== messageId) return;
        if (r.status === 'error') {
          cleanup();
          reject(
            new SendError(
              'unknown',
              `the server refused the message (ack error ${r.error ?? '?'})`,
            ),
          );
        } else {
          // Any receipt implies the server took it (delivered/read can arrive before we see the ack).
          cleanup();
          resolve(Date.now());
        }
      };
      const onAbort = () => {
        cleanup();
        reject(new SendError('ack_timeout', 'no server ack in time'));
      };
      cleanup = () => {
        this.runner.off('receipt', onReceipt);
        signal.removeEventListener('abort', onAbort);
      };
      this.runner.on('receipt', onReceipt);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    return { promise, cancel: () => cleanup() };
  }

  private async media(
    c: { url?: string | undefined; base64?: string | undefined },
    maxBytes: number,
  ): Promise<Buffer> {
    if (c.base64 !== undefined) return Buffer.from(c.base64, 'base64');
    if (c.url !== undefined) return fetchMedia(c.url, maxBytes);
    throw new SendError(
      'invalid_payload',
      'content.mediaId (an uploaded Cloud API media id) works only on cloud sessions; send url or base64',
    );
  }

  private async toBaileys(job: SendJob): Promise<AnyMessageContent> {
    const c = job.content;
    const mentions = 'mentions' in c && c.mentions ? { mentions: c.mentions } : {};
    const mediaMax = this.limits.mediaMaxBytes;
    switch (c.type) {
      case 'text':
        return { text: c.text, ...mentions };
      case 'image':
        return {
          image: await this.media(c, mediaMax),
          ...(c.caption ? { caption: c.caption } : {}),
          ...(c.mimetype ? { mimetype: c.mimetype } : {}),
          ...mentions,
        };
      case 'video':
        return {
          video: await this.media(c, mediaMax),
          ...(c.caption ? { caption: c.caption } : {}),
          ...(c.mimetype ? { mimetype: c.mimetype } : {}),
          ...mentions,
        };
      case 'audio':
        return {
          audio: await this.media(c, mediaMax),
          ptt: c.voiceNote === true,
          ...(c.mimetype ? { mimetype: c.mimetype } : {}),
        };
      case 'document':
        return {
          document: await this.media(c, this.limits.documentMaxBytes),
          mimetype: c.mimetype ?? 'application/octet-stream',
          fileName: c.fileName,
          ...(c.caption ? { caption: c.caption } : {}),
          ...mentions,
        };
      case 'sticker':
        return { sticker: await this.media(c, mediaMax) };
      case 'location':
        return {
          location: {
            degreesLatitude: c.latitude,
            degreesLongitude: c.longitude,
            ...(c.name ? { name: c.name } : {}),
            ...(c.address ? { address: c.address } : {}),
          },
        };
      case 'contact':
        return {
          contacts: {
            displayName: c.displayName,
            contacts: [{ displayName: c.displayName, vcard: c.vcard }],
          },
        };
      case 'reaction': {
        const key: WAMessageKey = {
          remoteJid: job.to,
          id: c.targetMessageId,
          fromMe: c.targetFromMe ?? false,
          ...(c.targetParticipant ? { participant: c.targetParticipant } : {}),
        };
        return { react: { text: c.emoji, key } };
      }
      case 'template':
        throw new SendError(
          'invalid_payload',
          'template messages need the official Cloud API: send them from a session of kind cloud',
        );
    }
  }
}

/** A jid with the middle of the number hidden, for error messages that may reach logs. */
function maskJid(jid: string): string {
  const [user = '', server = ''] = jid.split('@');
  return user.length > 6 ? `${user.slice(0, 3)}…${user.slice(-2)}@${server}` : jid;
}
