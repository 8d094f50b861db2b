/** The rule shown when a recipient is not accepted. */
export const RECIPIENT_RULE =
  'must be an E.164 number like +15551234567 or a WhatsApp jid (<digits>@s.whatsapp.net, <digits>@lid, <id>@g.us)';

// E.164 allows at most 15 digits; fewer than 8 is no real mobile number anywhere we can reach.
const E164_DIGITS = /^[1-9]\d{7,14}$/;
const USER_JID = /^[1-9]\d{7,14}@s\.whatsapp\.net$/;
const LID_JID = /^[1-9]\d{0,19}@lid$/;
// Groups: `<digits>@g.us`, or the older `<creator>-<timestamp>@g.us`.
const GROUP_JID = /^\d{5,20}(-\d{5,20})?@g\.us$/;

/**
 * Normalises a recipient to the jid WhatsApp expects, or returns undefined when it is not one we
 * can send to. Phone numbers lose spaces, dashes, dots and parentheses and a leading `+` or `00`
 * (`+1 (555) 123-4567` → `15551234567@s.whatsapp.net`); jids are checked as they are (a device
 * suffix like `123:4@s.whatsapp.net`, broadcasts and newsletters are refused).
 */
export function normalizeRecipient(input: string): string | undefined {
  const value = input.trim();
  if (value.includes('@')) {
    const jid = value.toLowerCase();
    return USER_JID.test(jid) || LID_JID.test(jid) || GROUP_JID.test(jid) ? jid : undefined;
  }
  let digits = value.replace(/[\s\-().]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  return E164_DIGITS.test(digits) ? `${digits}@s.whatsapp.net` : undefined;
}

/** True when `jid` is already in the normalised form {@link normalizeRecipient} produces. */
export function isRecipientJid(jid: string): boolean {
  return USER_JID.test(jid) || LID_JID.test(jid) || GROUP_JID.test(jid);
}
