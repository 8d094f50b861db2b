import QRCode from 'qrcode';

// Baileys QR strings are ~240 characters; level M at 8 px per module stays easy to scan from a screen.
const OPTIONS = { errorCorrectionLevel: 'M', margin: 2, scale: 8 } as const;

/** The QR code of `text` as a PNG `data:` URL (for JSON and the scan page). */
export function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { ...OPTIONS, type: 'image/png' });
}

/** The QR code of `text` as PNG bytes (for `Accept: image/png`). */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...OPTIONS, type: 'png' });
}
