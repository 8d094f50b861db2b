import { describe, expect, it } from 'vitest';
import { inboundTextPayload, statusPayload } from './fake/webhook-payloads.js';
import { parseWebhook } from './parse-webhook.js';

const PNID = '106540352242922';
const WAMID_IN = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=';
const WAMID_OUT = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA';

const textMessage = {
  from: '16505551234',
  id: WAMID_IN,
  timestamp: '1749416383',
  type: 'text',
  text: { body: 'Does it come in another color?' },
  context: { from: '15550783881', id: WAMID_OUT },
};

/** A realistic multi-entry body, as Meta batches them, with junk mixed in. */
const batched = {
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: PNID },
            contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: '16505551234' }],
            messages: [
              textMessage,
              {
                from: '16505551234',
                id: 'wamid.image1',
                timestamp: '1749416390',
                type: 'image',
                image: {
                  caption: 'this one',
                  mime_type: 'image/jpeg',
                  sha256: 'x',
                  id: '1479537139650973',
                },
              },
              {
                from: '16505551234',
                id: 'wamid.react1',
                timestamp: 1749416400,
                type: 'reaction',
                reaction: { message_id: WAMID_OUT, emoji: '❤️' },
              },
              {
                from: '16505551234',
                id: 'wamid.button1',
                timestamp: '1749416401',
                type: 'interactive',
                interactive: {
                  type: 'button_reply',
                  button_reply: { id: 'yes', title: 'Yes please' },
                },
              },
              {
                from: '16505551234',
                id: 'wamid.loc1',
                timestamp: '1749416402',
                type: 'location',
                location: { latitude: 1, longitude: 2 },
              },
              // Junk: missing id, bad timestamp, not an object.
              {
                from: '16505551234',
                timestamp: '1749416383',
                type: 'text',
                text: { body: 'no id' },
              },
              { from: '16505551234', id: 'wamid.badts', timestamp: 'yesterday', type: 'text' },
              'not a message',
              null,
            ],
          },
        },
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: PNID },
            statuses: [
              {
                id: WAMID_OUT,
                status: 'delivered',
                timestamp: '1750857384',
                recipient_id: '16505551234',
                conversation: { id: 'c1', origin: { type: 'service' } },
                pricing: { billable: true, pricing_model: 'PMP', category: 'service' },
              },
              {
                id: 'wamid.failed1',
                status: 'failed',
                timestamp: '1750857390',
                recipient_id: '16505551234',
                errors: [
                  {
                    code: 131047,
                    title: 'Re-engagement message',
                    message: 'Re-engagement message',
                  },
                  { code: 'not a number', title: 'junk' },
                ],
              },
              { id: 'wamid.x', status: 'exploded', timestamp: '1', recipient_id: '1' },
              { id: 'wamid.y', status: 'read', timestamp: '1' },
            ],
          },
        },
        // Another field (account updates) and a change without metadata: ignored.
        { field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } },
        {
          field: 'messages',
          value: { messages: [{ id: 'wamid.nometa', from: '1', timestamp: '1', type: 'text' }] },
        },
      ],
    },
    'junk entry',
    { id: 'no changes' },
  ],
};

describe('parseWebhook', () => {
  it('reads messages and statuses from a realistic batched body and skips the junk', () => {
    const { messages, statuses } = parseWebhook(batched);
    expect(messages.map((m) => m.id)).toEqual([
      WAMID_IN,
      'wamid.image1',
      'wamid.react1',
      'wamid.button1',
      'wamid.loc1',
    ]);
    expect(messages[0]).toEqual({
      phoneNumberId: PNID,
      id: WAMID_IN,
      from: '16505551234',
      timestamp: 1749416383000,
      type: 'text',
      text: 'Does it come in another color?',
      contextId: WAMID_OUT,
      raw: textMessage,
    });
    expect(messages[1]).toMatchObject({ type: 'image', text: 'this one' });
    expect(messages[1]!.raw['image']).toMatchObject({ id: '1479537139650973' });
    expect(messages[2]).toMatchObject({
      type: 'reaction',
      text: '❤️',
      contextId: WAMID_OUT,
      timestamp: 1749416400000,
    });
    expect(messages[3]).toMatchObject({ type: 'interactive', text: 'Yes please' });
    expect(messages[4]).not.toHaveProperty('text');
    expect(messages[4]).not.toHaveProperty('contextId');

    expect(statuses).toEqual([
      {
        phoneNumberId: PNID,
        id: WAMID_OUT,
        status: 'delivered',
        recipientId: '16505551234',
        timestamp: 1750857384000,
      },
      {
        phoneNumberId: PNID,
        id: 'wamid.failed1',
        status: 'failed',
        recipientId: '16505551234',
        timestamp: 1750857390000,
        errors: [{ code: 131047, title: 'Re-engagement message' }],
      },
    ]);
  });

  it('reads what the fake Graph API posts', () => {
    const inbound = parseWebhook(
      inboundTextPayload({
        phoneNumberId: PNID,
        from: '4915112345678',
        id: 'wamid.abc',
        text: 'hallo',
        timestamp: 1_700_000_000_123,
      }),
    );
    expect(inbound.messages).toEqual([
      expect.objectContaining({
        phoneNumberId: PNID,
        from: '4915112345678',
        id: 'wamid.abc',
        text: 'hallo',
        timestamp: 1_700_000_000_000,
      }),
    ]);
    const status = parseWebhook(
      statusPayload({
        phoneNumberId: PNID,
        id: 'wamid.out',
        status: 'failed',
        recipientId: '4915112345678',
        errors: [{ code: 131026, title: 'Message undeliverable' }],
      }),
    );
    expect(status.statuses).toEqual([
      expect.objectContaining({
        id: 'wamid.out',
        status: 'failed',
        errors: [{ code: 131026, title: 'Message undeliverable' }],
      }),
    ]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['another object type', { object: 'page', entry: [] }],
    ['entry not an array', { object: 'whatsapp_business_account', entry: { changes: [] } }],
    ['changes not an array', { object: 'whatsapp_business_account', entry: [{ changes: 'x' }] }],
    [
      'value not an object',
      {
        object: 'whatsapp_business_account',
        entry: [{ changes: [{ field: 'messages', value: 3 }] }],
      },
    ],
    [
      'messages not an array',
      {
        object: 'whatsapp_business_account',
        entry: [
          {
            changes: [
              { field: 'messages', value: { metadata: { phone_number_id: PNID }, messages: {} } },
            ],
          },
        ],
      },
    ],
  ])('returns nothing (and does not throw) for %s', (_name, body) => {
    expect(parseWebhook(body)).toEqual({ messages: [], statuses: [] });
  });
});
