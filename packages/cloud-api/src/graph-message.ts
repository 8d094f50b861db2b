import { SendError, type SendContent, type SendJob } from '@wafleet/queue';
import { vcardToGraphContact, type GraphContact } from './vcard-contact.js';

/** A media object of a Graph message: by URL (`link`) or by uploaded media id (`id`). */
export type GraphMedia = ({ link: string; id?: never } | { id: string; link?: never }) & {
  caption?: string;
  filename?: string;
  /** Audio only: play as a voice message (needs Ogg/Opus). */
  voice?: boolean;
};

interface GraphEnvelope {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  /** The recipient's phone number, digits only. */
  to: string;
  /** Reply: the `wamid.…` of the quoted message. */
  context?: { message_id: string };
}

/** The JSON body of `POST /{version}/{phone-number-id}/messages`. */
export type GraphMessageBody = GraphEnvelope &
  (
    | { type: 'text'; text: { body: string; preview_url: boolean } }
    | { type: 'image'; image: GraphMedia }
    | { type: 'video'; video: GraphMedia }
    | { type: 'audio'; audio: GraphMedia }
    | { type: 'document'; document: GraphMedia }
    | { type: 'sticker'; sticker: GraphMedia }
    | {
        type: 'location';
        location: { latitude: number; longitude: number; name?: string; address?: string };
      }
    | { type: 'contacts'; contacts: GraphContact[] }
    | { type: 'reaction'; reaction: { message_id: string; emoji: string } }
    | {
        type: 'template';
        template: {
          name: string;
          language: { code: string };
          components?: Record<string, unknown>[];
        };
      }
  );

/** Cloud API limits that are tighter than what a Baileys session accepts. */
export const CLOUD_LIMITS = { textMaxChars: 4096, captionMaxChars: 1024 } as const;

const USER_JID = /^(\d{1,20})@s\.whatsapp\.net$/;
const WAMID = /^wamid\./;

function refuse(detail: string): never {
  throw new SendError('invalid_payload', detail);
}

function recipientDigits(jid: string): string {
  if (jid.endsWith('@g.us')) refuse('Cloud API sessions cannot send to groups (@g.us)');
  if (jid.endsWith('@lid')) {
    refuse('Cloud API sessions need a phone number; a @lid recipient cannot be addressed');
  }
  const digits = USER_JID.exec(jid)?.[1];
  if (digits === undefined) refuse(`Cloud API cannot address recipient ${JSON.stringify(jid)}`);
  return digits;
}

function wamid(id: string, what: string): string {
  if (!WAMID.test(id)) {
    refuse(
      `${what} must be a Cloud API message id (wamid.…); map wafleet message ids first (CloudSessionStore.sentWamid)`,
    );
  }
  return id;
}

function caption(value: string | undefined): { caption?: string } {
  if (value === undefined) return {};
  if (value.length > CLOUD_LIMITS.captionMaxChars) {
    refuse(`caption must be at most ${CLOUD_LIMITS.captionMaxChars} characters on the Cloud API`);
  }
  return { caption: value };
}

type MediaContent = Extract<
  SendContent,
  { type: 'image' | 'video' | 'audio' | 'document' | 'sticker' }
>;

function mediaSource(content: MediaContent, uploadedId: string | undefined): GraphMedia {
  // An uploaded id wins: the caller fetched/decoded the bytes and uploaded them itself.
  if (uploadedId !== undefined) return { id: uploadedId };
  if (content.mediaId !== undefined) return { id: content.mediaId };
  if (content.url !== undefined) return { link: content.url };
  refuse(
    `${content.type} given as base64 must be uploaded first (uploadMedia) and its media id passed in`,
  );
}

function mentionsRefused(content: SendContent): void {
  if ('mentions' in content && content.mentions !== undefined && content.mentions.length > 0) {
    refuse('mentions are not supported by the Cloud API');
  }
}

/**
 * Maps a send job onto Graph's message body. Pure. Throws `SendError('invalid_payload')` for what
 * the Cloud API cannot send: groups, @lid recipients, mentions, base64 media without an uploaded
 * id, non-`wamid` reply/reaction targets, text over 4096 and captions over 1024 characters.
 */
export function buildGraphMessage(
  job: Pick<SendJob, 'to' | 'content'>,
  media: { id?: string } = {},
): GraphMessageBody {
  const to = recipientDigits(job.to);
  const content = job.content;
  mentionsRefused(content);
  const envelope: GraphEnvelope = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
  };
  if ('replyTo' in content && content.replyTo !== undefined) {
    envelope.context = { message_id: wamid(content.replyTo, 'replyTo') };
  }
  switch (content.type) {
    case 'text':
      if (content.text.length > CLOUD_LIMITS.textMaxChars) {
        refuse(`text must be at most ${CLOUD_LIMITS.textMaxChars} characters on the Cloud API`);
      }
      // No link previews: a preview makes WhatsApp fetch the URL, which the sender did not ask for.
      return { ...envelope, type: 'text', text: { body: content.text, preview_url: false } };
    case 'image':
      return {
        ...envelope,
        type: 'image',
        image: { ...mediaSource(content, media.id), ...caption(content.caption) },
      };
    case 'video':
      return {
        ...envelope,
        type: 'video',
        video: { ...mediaSource(content, media.id), ...caption(content.caption) },
      };
    case 'audio':
      return {
        ...envelope,
        type: 'audio',
        audio: {
          ...mediaSource(content, media.id),
          ...(content.voiceNote === true ? { voice: true } : {}),
        },
      };
    case 'document':
      return {
        ...envelope,
        type: 'document',
        document: {
          ...mediaSource(content, media.id),
          filename: content.fileName,
          ...caption(content.caption),
        },
      };
    case 'sticker':
      return { ...envelope, type: 'sticker', sticker: mediaSource(content, media.id) };
    case 'location':
      return {
        ...envelope,
        type: 'location',
        location: {
          latitude: content.latitude,
          longitude: content.longitude,
          ...(content.name !== undefined ? { name: content.name } : {}),
          ...(content.address !== undefined ? { address: content.address } : {}),
        },
      };
    case 'contact':
      return {
        ...envelope,
        type: 'contacts',
        contacts: [vcardToGraphContact(content.displayName, content.vcard)],
      };
    case 'reaction':
      return {
        ...envelope,
        type: 'reaction',
        reaction: {
          message_id: wamid(content.targetMessageId, 'targetMessageId'),
          emoji: content.emoji,
        },
      };
    case 'template':
      return {
        ...envelope,
        type: 'template',
        template: {
          name: content.name,
          language: { code: content.language },
          ...(content.components !== undefined
            ? { components: content.components as Record<string, unknown>[] }
            : {}),
        },
      };
  }
}
