/** Why a body was not read whole. */
export type CappedRead =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly problem: 'too_large'; readonly message: string }
  /** The connection broke or the request's timeout fired while the body was arriving. */
  | { readonly ok: false; readonly problem: 'cut_short'; readonly message: string };

/**
 * A response body as UTF-8 text, refusing more than `maxBytes` (whether declared in
 * Content-Length or only seen while reading), so that a registry cannot exhaust our memory.
 */
export async function readCapped(res: Response, maxBytes: number): Promise<CappedRead> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: false, problem: 'too_large', message: `answer of ${declared} bytes is larger than ${maxBytes}` };
  }
  if (!res.body) return { ok: true, body: '' };
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      // Leaving the loop cancels the stream (the iterator's return()).
      if (size > maxBytes) return { ok: false, problem: 'too_large', message: `answer is larger than ${maxBytes} bytes` };
      chunks.push(chunk);
    }
  } catch (err) {
    return { ok: false, problem: 'cut_short', message: `answer cut short: ${(err as Error).message}` };
  }
  return { ok: true, body: Buffer.concat(chunks).toString('utf8') };
}
