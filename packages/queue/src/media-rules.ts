/** Media content types: the ones that carry a file. */
export type MediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/** Size caps of a send request, configurable per producer. */
export interface SendLimits {
  /** Longest `text` of a text message, in UTF-16 code units. */
  readonly textMaxChars: number;
  /** Longest caption of a media message. */
  readonly captionMaxChars: number;
  /** Largest decoded `base64` of an image, video, audio or sticker. */
  readonly mediaMaxBytes: number;
  /** Largest decoded `base64` of a document. */
  readonly documentMaxBytes: number;
}

const MiB = 1024 * 1024;

/**
 * Default caps. Text 65,536 characters; captions 4,096. Inline (`base64`) media up to 16 MiB
 * (WhatsApp's own video/audio limit) and documents up to 100 MiB (WhatsApp's document limit).
 * Inline media lives in Redis inside the job (×4/3 for base64) until the job is removed, so
 * prefer `url` for anything large.
 */
export const DEFAULT_SEND_LIMITS: SendLimits = {
  textMaxChars: 65_536,
  captionMaxChars: 4_096,
  mediaMaxBytes: 16 * MiB,
  documentMaxBytes: 100 * MiB,
};

/**
 * Mime types WhatsApp renders for each media type (documents take any well-formed type: they
 * are shown as a file). Parameters such as `; codecs=opus` are ignored for the check.
 */
export const MEDIA_MIME_TYPES: Readonly<Record<Exclude<MediaType, 'document'>, readonly string[]>> =
  {
    image: ['image/jpeg', 'image/png', 'image/webp'],
    video: ['video/mp4', 'video/3gpp'],
    audio: ['audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/amr'],
    sticker: ['image/webp'],
  };

/** Voice notes play only as Ogg/Opus. */
export const VOICE_NOTE_MIME_TYPE = 'audio/ogg';

// RFC 6838 restricted-name characters for type and subtype.
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** `Image/JPEG; q=1` → `image/jpeg`; undefined when it is not a well-formed mime type. */
export function baseMimeType(mimetype: string): string | undefined {
  const base = mimetype.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return MIME_TYPE.test(base) ? base : undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Rule text for inline media. */
export const BASE64_RULE =
  'must be standard base64 (A-Z, a-z, 0-9, +, / with = padding; no data: prefix, no whitespace)';

/**
 * The decoded size of standard, padded base64, or undefined when `value` is not that. Computed
 * from the length, without decoding a possibly 100 MiB payload.
 */
export function base64DecodedBytes(value: string): number | undefined {
  if (value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return (value.length / 4) * 3 - padding;
}

/** `16777216` → `16 MiB (16777216 bytes)`, for rule messages. */
export function describeBytes(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB (${bytes} bytes)` : `${bytes} bytes`;
}
