/** A linked (companion) device of a simulated phone, as the server knows it. */
export interface CompanionDevice {
  /** `number:device@s.whatsapp.net` */
  jid: string;
  /** `lid:device@lid` */
  lid: string;
  deviceId: number;
  keyIndex: number;
  /** The companion's Noise static key; a login must present it. */
  noiseKey: Buffer;
  /** Signal identity (32 bytes, no prefix). */
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: { id: number; public: Buffer; signature: Buffer };
  /** One-time prekeys uploaded by the client and not yet handed out. */
  preKeys: Array<[number, Buffer]>;
  platform: string;
  /** If set, the prekey count the sim reports instead of the real one (pre-paired load tests skip the 812-key upload). */
  reportPreKeyCount?: number;
  pairedAt: number;
}
