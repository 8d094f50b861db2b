import { proto } from '@whiskeysockets/baileys';
import { generateKeyPair, sign, type KeyPair } from '../crypto/curve.js';

/** The sim's own root → intermediate → leaf Noise certificate chain. */
export interface SimCertificates {
  root: KeyPair;
  intermediate: KeyPair;
  /** The server's long-lived Noise static key; the leaf certifies it. */
  serverStatic: KeyPair;
  /** Encoded `proto.CertChain` sent inside ServerHello. */
  chain: Buffer;
}

const YEAR_S = 365 * 24 * 3600;

/** Builds a fresh chain; pass `root` to keep a root key clients already trust. */
export function createCertificates(root: KeyPair = generateKeyPair()): SimCertificates {
  const intermediate = generateKeyPair();
  const serverStatic = generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  // Baileys checks intermediate.issuerSerial === WA_CERT_DETAILS.SERIAL (0).
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.public,
    notBefore: now - 60,
    notAfter: now + 10 * YEAR_S,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore: now - 60,
    notAfter: now + YEAR_S,
  }).finish();
  const chain = proto.CertChain.encode({
    intermediate: {
      details: intermediateDetails,
      signature: sign(root.private, intermediateDetails),
    },
    leaf: { details: leafDetails, signature: sign(intermediate.private, leafDetails) },
  }).finish();
  return { root, intermediate, serverStatic, chain: Buffer.from(chain) };
}
