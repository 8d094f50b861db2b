import { SendError } from '@wafleet/queue';

/** Downloads a media URL for a send, bounded in size and time; errors carry a send failure reason. */
export async function fetchMedia(
  url: string,
  maxBytes: number,
  timeoutMs = 30_000,
): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new SendError(
      'media_unreachable',
      `could not fetch ${new URL(url).host}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!res.ok) {
    // A 4xx will not get better by itself; a 5xx may.
    const reason =
      res.status >= 400 && res.status < 500 ? 'media_unreachable' : 'media_unreachable';
    throw new SendError(reason, `media URL answered HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new SendError('media_too_large', `media is ${declared} bytes; the limit is ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body ?? []) {
    const buf = Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > maxBytes)
      throw new SendError('media_too_large', `media exceeds the limit of ${maxBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
