import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  aesDecryptWithIV,
  getMediaKeys,
  type MediaType,
  type proto,
} from '@whiskeysockets/baileys';
import { generate } from 'selfsigned';

/** An encrypted upload the media host received. */
export interface MediaUpload {
  path: string;
  /** Encrypted bytes exactly as uploaded (ciphertext + 10-byte MAC). */
  body: Buffer;
  at: number;
}

/** Upload keys arrive URL-safe and unpadded; normalise them to bytes for lookups. */
function keyOf(b64: string): string {
  return Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('hex');
}

/**
 * A local HTTPS host that accepts Baileys' encrypted media uploads (`media_conn` points here).
 * Its certificate is self-signed; clients trust it through an agent with {@link caPem}.
 */
export class MediaHost {
  /** Upload auth token handed out in `media_conn`. */
  readonly authToken = randomBytes(12).toString('base64url');
  private readonly uploads = new Map<string, MediaUpload>();
  private server: Server | undefined;
  private pem: string | undefined;
  private bind = '127.0.0.1';

  /** Generates the certificate and listens on a random port. */
  async start(host: string): Promise<void> {
    this.bind = host;
    const now = new Date();
    const pems = await generate([{ name: 'commonName', value: 'wa-sim media' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(now.getTime() - 60_000),
      notAfterDate: new Date(now.getTime() + 365 * 24 * 3600_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: host },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    });
    this.pem = pems.cert;
    this.server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://sim');
      if (req.method === 'POST') {
        const token = url.searchParams.get('token') ?? url.pathname.split('/').pop() ?? '';
        if (url.searchParams.get('auth') !== this.authToken) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad auth"}');
          return;
        }
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          const key = keyOf(token);
          this.uploads.set(key, { path: url.pathname, body, at: Date.now() });
          const directPath = `/d/${key}`;
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              url: `https://${this.hostname}${directPath}`,
              direct_path: directPath,
            }),
          );
        });
        return;
      }
      const upload = url.pathname.startsWith('/d/')
        ? this.uploads.get(url.pathname.slice(3))
        : undefined;
      if (req.method === 'GET' && upload) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(upload.body);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, host, () => resolve()));
  }

  /** `host:port` for `media_conn`. */
  get hostname(): string {
    const addr = this.server?.address() as AddressInfo | undefined;
    return `${this.bind}:${addr?.port ?? 0}`;
  }

  /** PEM of the self-signed certificate clients must trust. */
  get caPem(): string {
    if (!this.pem) throw new Error('media host not started');
    return this.pem;
  }

  /** Stores bytes as if uploaded (used for inbound media); returns the upload key. */
  put(encrypted: Buffer): string {
    const key = createHash('sha256').update(encrypted).digest('hex');
    this.uploads.set(key, { path: '/inbound', body: encrypted, at: Date.now() });
    return key;
  }

  /** Decrypts the upload a media message refers to, or undefined if it never arrived. */
  async decrypt(m: proto.Message.IImageMessage, type: string): Promise<Buffer | undefined> {
    if (!m.fileEncSha256 || !m.mediaKey) return undefined;
    const upload = this.uploads.get(Buffer.from(m.fileEncSha256).toString('hex'));
    if (!upload) return undefined;
    const keys = await getMediaKeys(m.mediaKey, type as MediaType);
    // The last 10 bytes are the truncated HMAC.
    return aesDecryptWithIV(
      upload.body.subarray(0, upload.body.length - 10),
      keys.cipherKey,
      keys.iv,
    );
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
