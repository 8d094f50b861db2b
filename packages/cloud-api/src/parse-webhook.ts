/** A message a WhatsApp user sent to a Cloud API number, from a webhook. */
export interface CloudInboundMessage {
  /** The business number that received it (`metadata.phone_number_id`). */
  phoneNumberId: string;
  /** Graph message id (`wamid.…`). */
  id: string;
  /** Sender's WhatsApp id (their phone number, digits). */
  from: string;
  /** Epoch ms (Graph sends unix seconds). */
  timestamp: number;
  /** Graph's message type: text, image, reaction, button, interactive, … */
  type: string;
  /**
   * The human text: the body of a text, the caption of media, the emoji of a reaction, the label
   * of a button or interactive reply.
   */
  text?: string;
  /** The message this one refers to: the quoted message of a reply, the target of a reaction. */
  contextId?: string;
  /** Graph's message object as received, for fields not mapped here. */
  raw: Record<string, unknown>;
}

/** A delivery status of a message the business sent, from a webhook. */
export interface CloudStatusUpdate {
  phoneNumberId: string;
  /** Graph message id (`wamid.…`) of the message sent. */
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  recipientId: string;
  /** Epoch ms. */
  timestamp: number;
  errors?: { code: number; title: string }[];
}

type Json = Record<string, unknown>;

const STATUSES = new Set<string>(['sent', 'delivered', 'read', 'failed']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objects(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Graph timestamps are unix seconds as a decimal string (sometimes a number). */
function seconds(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,12}$/.test(text)) return undefined;
  return Number(text) * 1000;
}

function field(obj: unknown, key: string): unknown {
  return isObject(obj) ? obj[key] : undefined;
}

function messageText(message: Json, type: string): string | undefined {
  switch (type) {
    case 'text':
      return str(field(message['text'], 'body'));
    case 'image':
    case 'video':
    case 'document':
      return str(field(message[type], 'caption'));
    case 'reaction':
      return str(field(message['reaction'], 'emoji'));
    case 'button':
      return str(field(message['button'], 'text'));
    case 'interactive': {
      const interactive = message['interactive'];
      return (
        str(field(field(interactive, 'button_reply'), 'title')) ??
        str(field(field(interactive, 'list_reply'), 'title'))
      );
    }
    default:
      return undefined;
  }
}

function inbound(phoneNumberId: string, message: Json): CloudInboundMessage | undefined {
  const id = str(message['id']);
  const from = str(message['from']);
  const timestamp = seconds(message['timestamp']);
  const type = str(message['type']);
  if (!id || !from || timestamp === undefined || !type) return undefined;
  const text = messageText(message, type);
  const contextId =
    type === 'reaction'
      ? str(field(message['reaction'], 'message_id'))
      : str(field(message['context'], 'id'));
  return {
    phoneNumberId,
    id,
    from,
    timestamp,
    type,
    ...(text !== undefined ? { text } : {}),
    ...(contextId !== undefined ? { contextId } : {}),
    raw: message,
  };
}

function statusUpdate(phoneNumberId: string, status: Json): CloudStatusUpdate | undefined {
  const id = str(status['id']);
  const value = str(status['status']);
  const recipientId = str(status['recipient_id']);
  const timestamp = seconds(status['timestamp']);
  if (!id || !value || !STATUSES.has(value) || !recipientId || timestamp === undefined) {
    return undefined;
  }
  const errors = objects(status['errors']).flatMap((e) => {
    const code = e['code'];
    if (typeof code !== 'number' || !Number.isInteger(code)) return [];
    return [{ code, title: str(e['title']) ?? str(e['message']) ?? '' }];
  });
  return {
    phoneNumberId,
    id,
    status: value as CloudStatusUpdate['status'],
    recipientId,
    timestamp,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

/**
 * Reads inbound messages and delivery statuses out of a Cloud API webhook body
 * (`object: whatsapp_business_account`, `entry[].changes[]` with `field: messages`). Tolerant:
 * a malformed entry, change or item is skipped, other fields (account updates, templates) are
 * ignored, and it never throws, whatever the body.
 */
export function parseWebhook(body: unknown): {
  messages: CloudInboundMessage[];
  statuses: CloudStatusUpdate[];
} {
  const messages: CloudInboundMessage[] = [];
  const statuses: CloudStatusUpdate[] = [];
  if (!isObject(body) || body['object'] !== 'whatsapp_business_account') {
    return { messages, statuses };
  }
  for (const entry of objects(body['entry'])) {
    for (const change of objects(entry['changes'])) {
      if (change['field'] !== 'messages') continue;
      const value = change['value'];
      if (!isObject(value)) continue;
      const phoneNumberId = str(field(value['metadata'], 'phone_number_id'));
      if (!phoneNumberId) continue;
      for (const m of objects(value['messages'])) {
        const parsed = inbound(phoneNumberId, m);
        if (parsed) messages.push(parsed);
      }
      for (const s of objects(value['statuses'])) {
        const parsed = statusUpdate(phoneNumberId, s);
        if (parsed) statuses.push(parsed);
      }
    }
  }
  return { messages, statuses };
}
