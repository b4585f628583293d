import type { IncomingMessage } from "node:http";

/** The body was larger than allowed; nothing of it is kept. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
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
 * A declared Content-Length over the limit is refused before reading any of
 * it; a chunked body is refused at the first chunk that crosses the limit.
 * A body still incomplete after `timeoutMs` is refused, so a sender that
 * trickles bytes cannot hold a connection (and our memory) for long.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new BodyTooLargeError(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
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
