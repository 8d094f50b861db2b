import { describe, expect, it } from 'vitest';
import { SendError, sendContentSchema, type SendContentInput } from '@wafleet/queue';
import { buildGraphMessage } from './graph-message.js';

const TO = '15551234567@s.whatsapp.net';
const WAMID = 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA';
const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567' };

/** Content as the worker has it: validated by the real SendJob schema. */
function content(input: SendContentInput) {
  return sendContentSchema().parse(input);
}

const VCARD = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'N:Doe;Jane;Q.;Dr.;PhD',
  'FN:Dr. Jane Q. Doe',
  'ORG:Acme Inc.;Sales',
  'TITLE:Buyer',
  'item1.TEL;type=CELL;type=VOICE;waid=15557654321:+1 555 765 4321',
  'TEL;TYPE=WORK:+1 555 000 1111',
  'EMAIL;TYPE=INTERNET;TYPE=WORK:jane@acme.example',
  'END:VCARD',
].join('\r\n');

describe('buildGraphMessage: every content type', () => {
  const cases: {
    name: string;
    input: SendContentInput;
    media?: { id?: string };
    expected: object;
  }[] = [
    {
      name: 'text (no link preview)',
      input: { type: 'text', text: 'hello https://example.com' },
      expected: { type: 'text', text: { body: 'hello https://example.com', preview_url: false } },
    },
    {
      name: 'text reply',
      input: { type: 'text', text: 'yes', replyTo: WAMID },
      expected: {
        type: 'text',
        text: { body: 'yes', preview_url: false },
        context: { message_id: WAMID },
      },
    },
    {
      name: 'image by url with caption',
      input: { type: 'image', url: 'https://cdn.example/a.jpg', caption: 'look' },
      expected: { type: 'image', image: { link: 'https://cdn.example/a.jpg', caption: 'look' } },
    },
    {
      name: 'image by media id',
      input: { type: 'image', mediaId: '1013859600285441' },
      expected: { type: 'image', image: { id: '1013859600285441' } },
    },
    {
      name: 'image as base64, uploaded by the caller',
      input: {
        type: 'image',
        base64: Buffer.from('jpeg').toString('base64'),
        mimetype: 'image/jpeg',
      },
      media: { id: '555' },
      expected: { type: 'image', image: { id: '555' } },
    },
    {
      name: 'video by url with caption, as a reply',
      input: { type: 'video', url: 'https://cdn.example/v.mp4', caption: 'clip', replyTo: WAMID },
      expected: {
        type: 'video',
        video: { link: 'https://cdn.example/v.mp4', caption: 'clip' },
        context: { message_id: WAMID },
      },
    },
    {
      name: 'audio by url',
      input: { type: 'audio', url: 'https://cdn.example/a.mp3' },
      expected: { type: 'audio', audio: { link: 'https://cdn.example/a.mp3' } },
    },
    {
      name: 'voice note',
      input: {
        type: 'audio',
        mediaId: '42',
        voiceNote: true,
        mimetype: 'audio/ogg; codecs=opus',
      },
      expected: { type: 'audio', audio: { id: '42', voice: true } },
    },
    {
      name: 'document with file name and caption',
      input: {
        type: 'document',
        url: 'https://cdn.example/r.pdf',
        fileName: 'report.pdf',
        mimetype: 'application/pdf',
        caption: 'Q3',
      },
      expected: {
        type: 'document',
        document: { link: 'https://cdn.example/r.pdf', filename: 'report.pdf', caption: 'Q3' },
      },
    },
    {
      name: 'document by media id (mimetype optional)',
      input: { type: 'document', mediaId: '77', fileName: 'a.pdf' },
      expected: { type: 'document', document: { id: '77', filename: 'a.pdf' } },
    },
    {
      name: 'sticker by url',
      input: { type: 'sticker', url: 'https://cdn.example/s.webp' },
      expected: { type: 'sticker', sticker: { link: 'https://cdn.example/s.webp' } },
    },
    {
      name: 'location with name and address',
      input: {
        type: 'location',
        latitude: 52.52,
        longitude: 13.405,
        name: 'TV tower',
        address: 'Berlin',
      },
      expected: {
        type: 'location',
        location: { latitude: 52.52, longitude: 13.405, name: 'TV tower', address: 'Berlin' },
      },
    },
    {
      name: 'bare location',
      input: { type: 'location', latitude: -33.86, longitude: 151.21 },
      expected: { type: 'location', location: { latitude: -33.86, longitude: 151.21 } },
    },
    {
      name: 'contact from a vCard',
      input: { type: 'contact', displayName: 'Jane Doe', vcard: VCARD },
      expected: {
        type: 'contacts',
        contacts: [
          {
            name: {
              formatted_name: 'Jane Doe',
              first_name: 'Jane',
              last_name: 'Doe',
              middle_name: 'Q.',
              prefix: 'Dr.',
              suffix: 'PhD',
            },
            phones: [
              { phone: '+1 555 765 4321', type: 'CELL', wa_id: '15557654321' },
              { phone: '+1 555 000 1111', type: 'WORK' },
            ],
            emails: [{ email: 'jane@acme.example', type: 'WORK' }],
            org: { company: 'Acme Inc.', department: 'Sales', title: 'Buyer' },
          },
        ],
      },
    },
    {
      name: 'contact whose vCard has only FN and a bare TEL (vCard 2.1, folded line)',
      input: {
        type: 'contact',
        displayName: 'Bob',
        vcard: 'BEGIN:VCARD\nVERSION:2.1\nFN:Bob\n  Builder\nTEL;CELL:+44 20 7946 0000\nEND:VCARD',
      },
      expected: {
        type: 'contacts',
        contacts: [
          {
            name: { formatted_name: 'Bob', first_name: 'Bob Builder' },
            phones: [{ phone: '+44 20 7946 0000', type: 'CELL' }],
          },
        ],
      },
    },
    {
      name: 'reaction',
      input: { type: 'reaction', targetMessageId: WAMID, emoji: '👍' },
      expected: { type: 'reaction', reaction: { message_id: WAMID, emoji: '👍' } },
    },
    {
      name: 'reaction removed',
      input: { type: 'reaction', targetMessageId: WAMID, emoji: '' },
      expected: { type: 'reaction', reaction: { message_id: WAMID, emoji: '' } },
    },
    {
      name: 'template with components passed through',
      input: {
        type: 'template',
        name: 'order_update',
        language: 'en_US',
        components: [
          { type: 'body', parameters: [{ type: 'text', text: '#1234' }] },
          {
            type: 'button',
            sub_type: 'url',
            index: '0',
            parameters: [{ type: 'text', text: 'x' }],
          },
        ],
      },
      expected: {
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'en_US' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: '#1234' }] },
            {
              type: 'button',
              sub_type: 'url',
              index: '0',
              parameters: [{ type: 'text', text: 'x' }],
            },
          ],
        },
      },
    },
    {
      name: 'template without components',
      input: { type: 'template', name: 'hello_world', language: 'en' },
      expected: { type: 'template', template: { name: 'hello_world', language: { code: 'en' } } },
    },
    {
      name: 'empty mentions list is harmless',
      input: { type: 'text', text: 'hi', mentions: [] },
      expected: { type: 'text', text: { body: 'hi', preview_url: false } },
    },
  ];

  it.each(cases)('$name', ({ input, media, expected }) => {
    expect(buildGraphMessage({ to: TO, content: content(input) }, media)).toStrictEqual({
      ...envelope,
      ...expected,
    });
  });

  it('prefers the uploaded id over the url when the caller uploaded the bytes itself', () => {
    const body = buildGraphMessage(
      { to: TO, content: content({ type: 'image', url: 'https://cdn.example/a.jpg' }) },
      { id: '999' },
    );
    expect(body).toMatchObject({ type: 'image', image: { id: '999' } });
    expect(JSON.stringify(body)).not.toContain('cdn.example');
  });
});

describe('buildGraphMessage: refusals', () => {
  const cases: { name: string; to?: string; input: SendContentInput; rule: RegExp }[] = [
    {
      name: 'group recipient',
      to: '120363025246125244@g.us',
      input: { type: 'text', text: 'hi' },
      rule: /cannot send to groups/,
    },
    {
      name: '@lid recipient',
      to: '123456789012345@lid',
      input: { type: 'text', text: 'hi' },
      rule: /@lid/,
    },
    {
      name: 'mentions',
      input: { type: 'text', text: 'hi @1555', mentions: ['+15557654321'] },
      rule: /mentions are not supported by the Cloud API/,
    },
    {
      name: 'mentions on media',
      input: { type: 'image', url: 'https://cdn.example/a.jpg', mentions: ['+15557654321'] },
      rule: /mentions are not supported/,
    },
    {
      name: 'base64 image without an uploaded id',
      input: { type: 'image', base64: Buffer.from('x').toString('base64'), mimetype: 'image/png' },
      rule: /image given as base64 must be uploaded first/,
    },
    {
      name: 'base64 document without an uploaded id',
      input: {
        type: 'document',
        base64: Buffer.from('x').toString('base64'),
        fileName: 'a.pdf',
        mimetype: 'application/pdf',
      },
      rule: /document given as base64 must be uploaded first/,
    },
    {
      name: 'base64 sticker without an uploaded id',
      input: {
        type: 'sticker',
        base64: Buffer.from('x').toString('base64'),
        mimetype: 'image/webp',
      },
      rule: /sticker given as base64/,
    },
    {
      name: 'reply to a non-Cloud message id',
      input: { type: 'text', text: 'hi', replyTo: '3EB0AAAAAAAAAAAAAAAAAA' },
      rule: /replyTo must be a Cloud API message id \(wamid/,
    },
    {
      name: 'reaction to a non-Cloud message id',
      input: { type: 'reaction', targetMessageId: '3EB0AAAAAAAAAAAAAAAAAA', emoji: '👍' },
      rule: /targetMessageId must be a Cloud API message id/,
    },
    {
      name: 'text over the Cloud API limit',
      input: { type: 'text', text: 'a'.repeat(4097) },
      rule: /at most 4096 characters/,
    },
    {
      name: 'caption over the Cloud API limit',
      input: { type: 'image', url: 'https://cdn.example/a.jpg', caption: 'c'.repeat(1025) },
      rule: /caption must be at most 1024/,
    },
  ];

  it.each(cases)('$name', ({ to, input, rule }) => {
    let thrown: unknown;
    try {
      buildGraphMessage({ to: to ?? TO, content: content(input) });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SendError);
    const err = thrown as SendError;
    expect(err.reason).toBe('invalid_payload');
    expect(err.detail).toMatch(rule);
  });

  it('accepts exactly 4096 characters of text', () => {
    const body = buildGraphMessage({
      to: TO,
      content: content({ type: 'text', text: 'a'.repeat(4096) }),
    });
    expect(body.type).toBe('text');
  });
});
