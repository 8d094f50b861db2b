/** Fields of {@link inboundTextPayload}. */
export interface InboundTextFields {
  phoneNumberId: string;
  /** Sender's WhatsApp id (digits). */
  from: string;
  /** Graph message id (`wamid.…`). */
  id: string;
  text: string;
  /** Epoch ms; default now. Sent as unix seconds, like Graph. */
  timestamp?: number;
  /** Reply to: the quoted message's wamid. */
  contextId?: string;
  /** Sender's profile name. */
  name?: string;
}

/** Fields of {@link statusPayload}. */
export interface StatusFields {
  phoneNumberId: string;
  /** wamid of the message sent. */
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  recipientId: string;
  errors?: { code: number; title: string }[];
  /** Epoch ms; default now. */
  timestamp?: number;
}

function unixSeconds(ms: number | undefined): string {
  return String(Math.floor((ms ?? Date.now()) / 1000));
}

function envelope(phoneNumberId: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** A webhook body as Meta posts it for one inbound text message. */
export function inboundTextPayload(fields: InboundTextFields): Record<string, unknown> {
  return envelope(fields.phoneNumberId, {
    contacts: [{ profile: { name: fields.name ?? 'Test User' }, wa_id: fields.from }],
    messages: [
      {
        from: fields.from,
        id: fields.id,
        timestamp: unixSeconds(fields.timestamp),
        type: 'text',
        text: { body: fields.text },
        ...(fields.contextId !== undefined
          ? { context: { from: '15550783881', id: fields.contextId } }
          : {}),
      },
    ],
  });
}

/** A webhook body as Meta posts it for one status update of a sent message. */
export function statusPayload(fields: StatusFields): Record<string, unknown> {
  return envelope(fields.phoneNumberId, {
    statuses: [
      {
        id: fields.id,
        status: fields.status,
        timestamp: unixSeconds(fields.timestamp),
        recipient_id: fields.recipientId,
        ...(fields.status !== 'failed'
          ? {
              conversation: {
                id: 'a75d17ad06104c51166f948319b03c6a',
                origin: { type: 'service' },
              },
              pricing: { billable: true, pricing_model: 'PMP', category: 'service' },
            }
          : {}),
        ...(fields.errors !== undefined
          ? {
              errors: fields.errors.map((e) => ({
                code: e.code,
                title: e.title,
                message: e.title,
                error_data: { details: e.title },
              })),
            }
          : {}),
      },
    ],
  });
}
