import { describe, expect, it } from 'vitest';
import { SendValidationError } from './errors.js';
import { deriveMessageId } from './message-id.js';
import { parseSendJob, parseSendRequest } from './parse-send-request.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof SendValidationError) return err.problems.map((p) => `${p.path}: ${p.rule}`);
    throw err;
  }
  throw new Error('expected a SendValidationError');
}

describe('parseSendRequest', () => {
  it('builds a v1 job with a normalised recipient, derived message id and enqueue time', () => {
    const job = parseSendRequest(
      {
        sessionId: 's1',
        to: '+1 (555) 123-4567',
        content: { type: 'text', text: 'hi', mentions: ['+44 20 7946 0958'] },
        options: { idempotencyKey: 'order-42', priority: 3 },
      },
      { now: NOW },
    );
    expect(job).toEqual({
      v: 1,
      sessionId: 's1',
      to: '15551234567@s.whatsapp.net',
      content: { type: 'text', text: 'hi', mentions: ['442079460958@s.whatsapp.net'] },
      options: { idempotencyKey: 'order-42', priority: 3 },
      messageId: deriveMessageId('s1', 'order-42'),
      enqueuedAt: NOW,
    });
  });

  it('generates an idempotency key when none is given', () => {
    const job = parseSendRequest(
      { sessionId: 's1', to: '15551234567', content: { type: 'text', text: 'x' } },
      { now: NOW, newIdempotencyKey: () => 'generated-1' },
    );
    expect(job.options.idempotencyKey).toBe('generated-1');
    expect(job.messageId).toBe(deriveMessageId('s1', 'generated-1'));
  });

  it('accepts expiresAt as an ISO date-time or epoch ms, stored as epoch ms', () => {
    const base = { sessionId: 's1', to: '15551234567', content: { type: 'text', text: 'x' } };
    const iso = parseSendRequest(
      { ...base, options: { expiresAt: '2030-01-01T01:00:00+01:00' } },
      { now: Date.parse('2029-12-31T23:00:00Z') },
    );
    expect(iso.options.expiresAt).toBe(Date.parse('2030-01-01T00:00:00Z'));
    const ms = parseSendRequest({ ...base, options: { expiresAt: NOW + 5000 } }, { now: NOW });
    expect(ms.options.expiresAt).toBe(NOW + 5000);
  });

  it.each([
    { type: 'image', base64: PNG_1PX, mimetype: 'image/png', caption: 'a pixel' },
    { type: 'image', url: 'https://cdn.example.com/a.jpg' },
    {
      type: 'video',
      url: 'http://cdn.example.com/a.mp4',
      mimetype: 'video/mp4',
      replyTo: '3EB0ABC',
    },
    {
      type: 'audio',
      url: 'https://x.example/v.ogg',
      mimetype: 'audio/ogg; codecs=opus',
      voiceNote: true,
    },
    {
      type: 'document',
      url: 'https://x.example/r.pdf',
      fileName: 'report.pdf',
      mimetype: 'application/pdf',
    },
    { type: 'sticker', base64: 'UklGRg==', mimetype: 'image/webp' },
    { type: 'location', latitude: -33.8688, longitude: 151.2093, name: 'Sydney' },
    { type: 'contact', displayName: 'Ada', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nEND:VCARD\n' },
    { type: 'reaction', targetMessageId: '3EB0ABCDEF', emoji: '👍' },
    { type: 'reaction', targetMessageId: '3EB0ABCDEF', emoji: '👍🏽' },
    { type: 'reaction', targetMessageId: '3EB0ABCDEF', emoji: '🇧🇷' },
    { type: 'reaction', targetMessageId: '3EB0ABCDEF', emoji: '1️⃣' },
    { type: 'reaction', targetMessageId: '3EB0ABCDEF', emoji: '👨‍👩‍👧' },
    { type: 'reaction', targetMessageId: '3EB0ABCDEF', emoji: '' },
  ])('accepts $type content %#', (content) => {
    const job = parseSendRequest(
      { sessionId: 's1', to: '120363041234567890@g.us', content },
      { now: NOW },
    );
    expect(job.content.type).toBe(content.type);
  });

  it('reports every problem at once, each with its field and rule', () => {
    expect(
      problemsOf(() =>
        parseSendRequest(
          {
            sessionId: 'bad id',
            to: '12',
            content: { type: 'text', text: '' },
            options: { expiresAt: NOW - 1, priority: 0, colour: 'red' },
          },
          { now: NOW },
        ),
      ),
    ).toEqual([
      'sessionId: must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-", starting with a letter or digit',
      'to: must be an E.164 number like +15551234567 or a WhatsApp jid (<digits>@s.whatsapp.net, <digits>@lid, <id>@g.us)',
      'content.text: must not be empty',
      'options.priority: must be an integer from 1 to 100',
      'options.colour: is not a known field',
      'options.expiresAt: must be in the future (it is 2029-12-31T23:59:59.999Z, now is 2030-01-01T00:00:00.000Z)',
    ]);
  });

  it('names missing fields and wrong types in plain words', () => {
    expect(problemsOf(() => parseSendRequest({ to: 5, content: { type: 'location' } }))).toEqual([
      'sessionId: is required',
      'to: must be a string',
      'content.latitude: is required',
      'content.longitude: is required',
    ]);
    expect(problemsOf(() => parseSendRequest('send hi'))).toEqual(['request: must be an object']);
  });
});

describe('parseSendJob', () => {
  const valid = parseSendRequest(
    { sessionId: 's1', to: '15551234567', content: { type: 'text', text: 'x' } },
    { now: NOW, newIdempotencyKey: () => 'k1' },
  );

  it('round-trips a job built by parseSendRequest (as JSON, as BullMQ stores it)', () => {
    expect(parseSendJob(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
  });

  it('refuses unknown versions, raw phone numbers and a message id that is not derived', () => {
    expect(problemsOf(() => parseSendJob({ ...valid, v: 2 }))).toEqual([
      'v: must be 1 (this worker understands SendJob v1)',
    ]);
    expect(problemsOf(() => parseSendJob({ ...valid, to: '+15551234567' }))).toEqual([
      'to: must be an E.164 number like +15551234567 or a WhatsApp jid (<digits>@s.whatsapp.net, <digits>@lid, <id>@g.us)',
    ]);
    expect(
      problemsOf(() => parseSendJob({ ...valid, messageId: deriveMessageId('s1', 'other') })),
    ).toEqual(['messageId: must be derived from the session id and idempotency key']);
  });
});

describe('parseSendRequest: Cloud API content (templates, uploaded media ids, wamid refs)', () => {
  const req = (content: unknown) => ({ sessionId: 's1', to: '15551234567', content });

  it('accepts a template with components, media by mediaId and a reply to a wamid', () => {
    const template = {
      type: 'template',
      name: 'order_update',
      language: 'en_US',
      components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
    };
    expect(parseSendRequest(req(template), { now: NOW }).content).toEqual(template);
    const image = {
      type: 'image',
      mediaId: '1234567890',
      replyTo: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgA=',
    };
    expect(parseSendRequest(req(image), { now: NOW }).content).toEqual(image);
    const doc = { type: 'document', mediaId: '99', fileName: 'a.pdf' };
    expect(parseSendRequest(req(doc), { now: NOW }).content).toEqual(doc);
  });

  it.each<[string, unknown, string]>([
    [
      'a template name with capitals',
      { type: 'template', name: 'Bad', language: 'en' },
      'content.name',
    ],
    [
      'a template language like english',
      { type: 'template', name: 'ok', language: 'english' },
      'content.language',
    ],
    [
      'a template component of an unknown type',
      { type: 'template', name: 'ok', language: 'en', components: [{ type: 'side' }] },
      'content.components[0].type',
    ],
    ['two media sources', { type: 'image', mediaId: '1', url: 'https://x.test/a.png' }, 'content'],
    ['a mediaId that is not digits', { type: 'image', mediaId: 'abc' }, 'content.mediaId'],
    [
      'a document by url without mimetype',
      { type: 'document', url: 'https://x.test/a', fileName: 'a' },
      'content.mimetype',
    ],
  ])('rejects %s, naming the field', (_what, content, path) => {
    const problems = problemsOf(() => parseSendRequest(req(content), { now: NOW }));
    expect(problems.some((p) => p.startsWith(`${path}:`))).toBe(true);
  });
});
