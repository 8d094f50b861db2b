import { describe, expect, it } from 'vitest';
import { isRecipientJid, normalizeRecipient } from './recipient.js';

describe('normalizeRecipient', () => {
  it.each([
    ['+15551234567', '15551234567@s.whatsapp.net'],
    ['+1 (555) 123-4567', '15551234567@s.whatsapp.net'],
    ['0049 151 2345 6789', '4915123456789@s.whatsapp.net'],
    ['004915123456789', '4915123456789@s.whatsapp.net'],
    ['44.20.7946.0958', '442079460958@s.whatsapp.net'],
    ['  +33 6 12 34 56 78 ', '33612345678@s.whatsapp.net'],
    ['15551234567@s.whatsapp.net', '15551234567@s.whatsapp.net'],
    ['15551234567@S.WHATSAPP.NET', '15551234567@s.whatsapp.net'],
    ['123456789012345@lid', '123456789012345@lid'],
    ['120363041234567890@g.us', '120363041234567890@g.us'],
    ['15551234567-1600000000@g.us', '15551234567-1600000000@g.us'],
  ])('%s → %s', (input, jid) => {
    expect(normalizeRecipient(input)).toBe(jid);
    expect(isRecipientJid(jid)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['+', 'only a plus'],
    ['1234567', '7 digits: too short'],
    ['+1234567890123456', '16 digits: too long'],
    ['05551234567', 'leading 0 after normalisation (national format)'],
    ['+0049151234567', 'plus followed by 00'],
    ['+1 555 CALL NOW', 'letters'],
    ['15551234567#', 'symbol'],
    ['15551234567:12@s.whatsapp.net', 'device jid'],
    ['status@broadcast', 'status broadcast'],
    ['12345@newsletter', 'newsletter'],
    ['abc@g.us', 'group id with letters'],
    ['15551234567@c.us', 'legacy c.us server'],
    ['1555 1234567@s.whatsapp.net', 'space inside a jid'],
  ])('refuses %j (%s)', (input) => {
    expect(normalizeRecipient(input)).toBeUndefined();
  });
});
