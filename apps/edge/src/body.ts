import type { IncomingMessage } from "node:http";

/** The body was larger than allowed; only its first bytes are kept. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limit: number,
    /** Its first bytes, as many as were asked for (`keep`) and arrived. */
    readonly prefix: Buffer,
    /** Its size: as declared by Content-Length, else as far as it was read. */
    readonly size: number,
  ) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** The client went away or the stream broke before the body was complete. */
export class BodyIncompleteError extends Error {}

/** The body did not arrive within the time allowed for it (a slow or stalled upload). */
export class BodyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`request body not received within ${timeoutMs} ms`);
  }
}

/**
 * Reads the raw request body, refusing it as soon as it passes `limit` bytes.
 * A declared Content-Length over the limit is refused after reading at most
 * its first `keep` bytes (what the delivery inbox keeps of it); a chunked
 * body is refused at the first chunk that crosses the limit. A body still
 * incomplete after `timeoutMs` is refused, so a sender that trickles bytes
 * cannot hold a connection (and our memory) for long.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
  keep = 0,
): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  const declaredTooLarge = Number.isFinite(declared) && declared > limit;
  if (declaredTooLarge && keep === 0) {
    return Promise.reject(new BodyTooLargeError(limit, Buffer.alloc(0), declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => {
      cleanup();
      req.pause();
      const prefix = Buffer.concat(chunks, Math.min(size, limit)).subarray(0, keep);
      reject(new BodyTooLargeError(limit, prefix, declaredTooLarge ? declared : size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
      }
      if (size > limit || (declaredTooLarge && size >= keep)) {
        if (size > limit && size - chunk.length < limit) {
          // Keep what fits of the chunk that crossed the limit.
          chunks.push(chunk.subarray(0, limit - (size - chunk.length)));
        }
        tooLarge();
      }
    };
    const onEnd = () => {
      if (declaredTooLarge) {
        tooLarge();
        return;
      }
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new BodyIncompleteError("request body could not be read", { cause: error }));
    };
    const onAborted = () => {
      cleanup();
      reject(new BodyIncompleteError("client closed the connection before the body was complete"));
    };
    const timer = setTimeout(() => {
      if (declaredTooLarge) {
        // Refused anyway: keep what arrived of it.
        tooLarge();
        return;
      }
      cleanup();
      req.pause();
      reject(new BodyTimeoutError(timeoutMs));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}
