/** One contact in Graph's `contacts` message shape (the subset wafleet fills). */
export interface GraphContact {
  name: {
    formatted_name: string;
    first_name?: string;
    last_name?: string;
    middle_name?: string;
    prefix?: string;
    suffix?: string;
  };
  phones?: { phone: string; type?: string; wa_id?: string }[];
  emails?: { email: string; type?: string }[];
  org?: { company?: string; department?: string; title?: string };
}

interface VcardLine {
  name: string;
  params: Map<string, string[]>;
  value: string;
}

// Graph accepts these phone and email types; anything else (VOICE, PREF, INTERNET…) says nothing.
const PHONE_TYPES = new Set(['CELL', 'MAIN', 'IPHONE', 'HOME', 'WORK']);
const EMAIL_TYPES = new Set(['HOME', 'WORK']);

/** RFC 6350 text unescaping: `\n`, `\,`, `\;`, `\\`. */
function unescape(value: string): string {
  return value.replace(/\\([nN,;\\])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** Splits on `sep` that is not backslash-escaped. */
function splitUnescaped(value: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i += 1) {
    const c = value[i] as string;
    if (c === '\\' && i + 1 < value.length) {
      current += c + (value[i + 1] as string);
      i += 1;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function parseLine(line: string): VcardLine | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  const [head = '', ...paramParts] = line.slice(0, colon).split(';');
  // Drop a group prefix (`item1.TEL`), which Apple's and WhatsApp's vCards use.
  const name = head.slice(head.lastIndexOf('.') + 1).toUpperCase();
  const params = new Map<string, string[]>();
  for (const part of paramParts) {
    const eq = part.indexOf('=');
    // vCard 2.1 writes bare types (`TEL;CELL:`); treat them as TYPE values.
    const key = eq < 0 ? 'TYPE' : part.slice(0, eq).toUpperCase();
    const values = (eq < 0 ? part : part.slice(eq + 1))
      .split(',')
      .map((v) => v.replace(/^"|"$/g, '').trim())
      .filter((v) => v !== '');
    params.set(key, [...(params.get(key) ?? []), ...values]);
  }
  return { name, params, value: line.slice(colon + 1) };
}

function firstType(line: VcardLine, allowed: Set<string>): string | undefined {
  return (line.params.get('TYPE') ?? []).map((t) => t.toUpperCase()).find((t) => allowed.has(t));
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * Reads the fields Graph's contacts message needs from a vCard: N (name parts), FN, TEL (with
 * WhatsApp's `waid=` parameter), EMAIL and ORG/TITLE. Deliberately minimal: photos, addresses and
 * URLs are not mapped. `displayName` becomes `formatted_name`; when the card has no N, FN (or else
 * `displayName`) becomes the first name, because Graph wants at least one name part besides it.
 */
export function vcardToGraphContact(displayName: string, vcard: string): GraphContact {
  // Unfold continuation lines (RFC 6350 §3.2: a line starting with a space or tab continues).
  const lines = vcard
    .replace(/\r\n/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map(parseLine)
    .filter((l): l is VcardLine => l !== undefined);

  const contact: GraphContact = { name: { formatted_name: displayName } };
  const phones: NonNullable<GraphContact['phones']> = [];
  const emails: NonNullable<GraphContact['emails']> = [];
  let fullName: string | undefined;
  for (const line of lines) {
    switch (line.name) {
      case 'FN':
        fullName = nonEmpty(unescape(line.value));
        break;
      case 'N': {
        const [last, first, middle, prefix, suffix] = splitUnescaped(line.value, ';').map((p) =>
          nonEmpty(unescape(p)),
        );
        if (first) contact.name.first_name = first;
        if (last) contact.name.last_name = last;
        if (middle) contact.name.middle_name = middle;
        if (prefix) contact.name.prefix = prefix;
        if (suffix) contact.name.suffix = suffix;
        break;
      }
      case 'TEL': {
        const phone = nonEmpty(unescape(line.value).replace(/^tel:/i, ''));
        if (!phone) break;
        const type = firstType(line, PHONE_TYPES);
        const waId = line.params.get('WAID')?.[0];
        phones.push({
          phone,
          ...(type ? { type } : {}),
          ...(waId && /^\d{1,20}$/.test(waId) ? { wa_id: waId } : {}),
        });
        break;
      }
      case 'EMAIL': {
        const email = nonEmpty(unescape(line.value));
        if (!email) break;
        const type = firstType(line, EMAIL_TYPES);
        emails.push({ email, ...(type ? { type } : {}) });
        break;
      }
      case 'ORG': {
        const [company, department] = splitUnescaped(line.value, ';').map((p) =>
          nonEmpty(unescape(p)),
        );
        if (company || department) {
          contact.org = {
            ...contact.org,
            ...(company ? { company } : {}),
            ...(department ? { department } : {}),
          };
        }
        break;
      }
      case 'TITLE': {
        const title = nonEmpty(unescape(line.value));
        if (title) contact.org = { ...contact.org, title };
        break;
      }
      default:
        break;
    }
  }
  const n = contact.name;
  if (!n.first_name && !n.last_name && !n.middle_name && !n.prefix && !n.suffix) {
    n.first_name = fullName ?? displayName;
  }
  if (phones.length > 0) contact.phones = phones;
  if (emails.length > 0) contact.emails = emails;
  return contact;
}
