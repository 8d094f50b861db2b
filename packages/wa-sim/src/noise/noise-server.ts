import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { NOISE_MODE, NOISE_WA_HEADER, proto } from '@whiskeysockets/baileys';
import { generateKeyPair, sharedKey, type KeyPair } from '../crypto/curve.js';

const EMPTY = Buffer.alloc(0);

function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
}

function gcmEncrypt(key: Buffer, iv: Buffer, aad: Buffer, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function gcmDecrypt(key: Buffer, iv: Buffer, aad: Buffer, ciphertext: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(ciphertext.subarray(ciphertext.byteLength - 16));
  return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.byteLength - 16)), d.final()]);
}

function hkdf64(ikm: Uint8Array, salt: Buffer): [Buffer, Buffer] {
  const out = Buffer.from(hkdfSync('sha256', ikm, salt, EMPTY, 64));
  return [out.subarray(0, 32), out.subarray(32)];
}

/** Post-handshake cipher: separate keys and counters per direction, empty AAD. */
export class NoiseTransport {
  private readCounter = 0;
  private writeCounter = 0;

  constructor(
    private readonly encKey: Buffer,
    private readonly decKey: Buffer,
  ) {}

  /** Encrypts one outgoing frame payload. */
  encrypt(plaintext: Uint8Array): Buffer {
    return gcmEncrypt(this.encKey, ivFor(this.writeCounter++), EMPTY, plaintext);
  }

  /** Decrypts one incoming frame payload. */
  decrypt(ciphertext: Uint8Array): Buffer {
    return gcmDecrypt(this.decKey, ivFor(this.readCounter++), EMPTY, ciphertext);
  }
}

/** Result of a completed handshake. */
export interface HandshakeResult {
  clientStatic: Buffer;
  payload: proto.ClientPayload;
  transport: NoiseTransport;
}

/**
 * Server side of Noise XX as WhatsApp Web uses it (protocol notes §1). Mirrors the client's
 * symmetric state exactly: one key and one counter shared by both directions until `finish`.
 */
export class NoiseServerHandshake {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private readonly ephemeral: KeyPair = generateKeyPair();
  private clientEphemeral: Buffer | undefined;

  constructor(
    private readonly serverStatic: KeyPair,
    private readonly certChain: Buffer,
  ) {
    // NOISE_MODE is exactly 32 bytes, so it is used as-is rather than hashed.
    this.hash = Buffer.from(NOISE_MODE);
    this.salt = this.hash;
    this.key = this.hash;
    this.authenticate(NOISE_WA_HEADER);
  }

  /** Consumes ClientHello and returns the encoded ServerHello frame payload. */
  serverHello(frame: Buffer): Buffer {
    const msg = proto.HandshakeMessage.decode(frame);
    const eph = msg.clientHello?.ephemeral;
    if (!eph || eph.length !== 32) throw new Error('ClientHello without a 32-byte ephemeral key');
    this.clientEphemeral = Buffer.from(eph);
    this.authenticate(this.clientEphemeral);
    this.authenticate(this.ephemeral.public);
    this.mixIntoKey(sharedKey(this.ephemeral.private, this.clientEphemeral));
    const staticEnc = this.encrypt(this.serverStatic.public);
    this.mixIntoKey(sharedKey(this.serverStatic.private, this.clientEphemeral));
    const payload = this.encrypt(this.certChain);
    return Buffer.from(
      proto.HandshakeMessage.encode({
        serverHello: { ephemeral: this.ephemeral.public, static: staticEnc, payload },
      }).finish(),
    );
  }

  /** Consumes ClientFinish; returns the client's static key, its payload and the transport cipher. */
  clientFinish(frame: Buffer): HandshakeResult {
    const msg = proto.HandshakeMessage.decode(frame);
    const fin = msg.clientFinish;
    if (!fin?.static || !fin.payload) throw new Error('ClientFinish without static or payload');
    const clientStatic = this.decrypt(fin.static);
    this.mixIntoKey(sharedKey(this.ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(this.decrypt(fin.payload));
    const [clientWrite, clientRead] = hkdf64(EMPTY, this.salt);
    // The client encrypts with the first half, so the server decrypts with it.
    return { clientStatic, payload, transport: new NoiseTransport(clientRead, clientWrite) };
  }

  private authenticate(data: Uint8Array): void {
    this.hash = createHash('sha256').update(this.hash).update(data).digest();
  }

  private mixIntoKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf64(ikm, this.salt);
    this.salt = ck;
    this.key = k;
    this.counter = 0;
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const out = gcmEncrypt(this.key, ivFor(this.counter++), this.hash, plaintext);
    this.authenticate(out);
    return out;
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const out = gcmDecrypt(this.key, ivFor(this.counter++), this.hash, ciphertext);
    this.authenticate(ciphertext);
    return out;
  }
}
