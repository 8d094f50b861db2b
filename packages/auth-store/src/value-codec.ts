import { proto } from '@whiskeysockets/baileys';
import Long from 'long';
import { authStoreErrors } from './errors.js';

/*
 * Baileys' BufferJSON is not a faithful codec: it turns Uint8Array into Buffer, drops `undefined`
 * properties, turns NaN into null, turns Long (protobuf int64, e.g. app-state key timestamps)
 * into a plain object, and revives ANY object whose keys are all digits and values all numbers
 * as a Buffer. Auth state must come back exactly as it went in, so this is a small tagged JSON:
 * every special value is an object with a "$" key, and a real object that has a "$" key of its
 * own is wrapped, so the two can never be confused.
 */

/**
 * The Long class Baileys' protobuf code decodes int64 fields into. protobufjs loads the CommonJS
 * build of `long`, a different class from the ESM one `import Long` gives; revived values must be
 * the class Baileys produced. Taken from a real decode so it is right by construction.
 */
export const ProtoLong: typeof Long = (() => {
  const type = proto.Message.AppStateSyncKeyData;
  const probe = type.decode(type.encode({ timestamp: 1 }).finish()).timestamp;
  return Long.isLong(probe) ? (probe.constructor as typeof Long) : Long;
})();

const FORMAT_V1 = 0x01;
const MAX_DEPTH = 64;

type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };

function unsupported(reason: string, path: string): Error {
  return authStoreErrors.create('AUTH_VALUE_UNSUPPORTED', { reason, path: path || '(root)' });
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function numberTag(n: number): Tagged {
  if (Number.isNaN(n)) return { $: 'n', v: 'NaN' };
  if (n === Infinity) return { $: 'n', v: 'Infinity' };
  if (n === -Infinity) return { $: 'n', v: '-Infinity' };
  if (Object.is(n, -0)) return { $: 'n', v: '-0' };
  return n;
}

function toTagged(value: unknown, path: string, depth: number): Tagged {
  if (depth > MAX_DEPTH) throw unsupported(`nesting deeper than ${MAX_DEPTH} (a cycle?)`, path);
  switch (typeof value) {
    case 'undefined':
      return { $: 'u' };
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return numberTag(value);
    case 'bigint':
      return { $: 'i', v: value.toString() };
    case 'function':
    case 'symbol':
      throw unsupported(`a ${typeof value}`, path);
    case 'object':
      break;
  }
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return { $: 'b', v: toBase64(value) };
  if (value instanceof Uint8Array && Object.getPrototypeOf(value) === Uint8Array.prototype) {
    return { $: 'u8', v: toBase64(value) };
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw unsupported(`a ${value.constructor.name}`, path);
  }
  if (Long.isLong(value)) {
    return { $: 'L', lo: value.low, hi: value.high, un: value.unsigned };
  }
  if (value instanceof Date) return { $: 'd', v: value.getTime() };
  if (value instanceof Map || value instanceof Set || value instanceof RegExp) {
    throw unsupported(`a ${value.constructor.name}`, path);
  }
  if (Array.isArray(value)) {
    const out: Tagged[] = [];
    for (let i = 0; i < value.length; i++) {
      out.push(toTagged(value[i], `${path}[${i}]`, depth + 1));
    }
    return out;
  }
  // Plain objects and class instances (protobuf messages) alike: own enumerable fields, as
  // Baileys' own stores keep them; prototypes and methods are not data.
  const out: { [key: string]: Tagged } = {};
  let hasDollar = false;
  for (const key of Object.keys(value)) {
    if (key === '$') hasDollar = true;
    defineField(
      out,
      key,
      toTagged((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1),
    );
  }
  return hasDollar ? { $: 'o', v: out } : out;
}

/** Assigns without ever invoking the `__proto__` setter. */
function defineField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function expectString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`corrupt encoded value: ${what}`);
  return v;
}

function fromTagged(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromTagged);
  const obj = value as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(obj, '$')) return fromFields(obj);
  switch (obj.$) {
    case 'u':
      return undefined;
    case 'n':
      return Number(expectString(obj.v, 'number tag'));
    case 'i':
      return BigInt(expectString(obj.v, 'bigint tag'));
    case 'b':
      return Buffer.from(expectString(obj.v, 'buffer tag'), 'base64');
    case 'u8': {
      const bytes = Buffer.from(expectString(obj.v, 'uint8array tag'), 'base64');
      return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    }
    case 'L':
      return ProtoLong.fromBits(Number(obj.lo), Number(obj.hi), obj.un === true);
    case 'd':
      return new Date(Number(obj.v));
    case 'o':
      return fromFields(obj.v as Record<string, unknown>);
    default:
      throw new Error(`corrupt encoded value: unknown tag ${JSON.stringify(obj.$)}`);
  }
}

function fromFields(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) defineField(out, key, fromTagged(obj[key]));
  return out;
}

/**
 * Serialises an auth state value (creds or a signal key) to bytes that decode to an equal value:
 * Buffer stays Buffer, Uint8Array stays Uint8Array, `undefined` fields, NaN, -0, bigint, Date and
 * protobuf Long (revived as {@link ProtoLong}) survive. Class instances come back as plain objects with the same own fields.
 */
export function encodeValue(value: unknown): Buffer {
  const json = JSON.stringify(toTagged(value, '', 0));
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(json));
  out[0] = FORMAT_V1;
  out.write(json, 1, 'utf8');
  return out;
}

/** Inverse of {@link encodeValue}. */
export function decodeValue(bytes: Uint8Array): unknown {
  if (bytes[0] !== FORMAT_V1) throw new Error(`unknown auth value format ${bytes[0]}`);
  const json = Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1).toString(
    'utf8',
  );
  return fromTagged(JSON.parse(json));
}
