/**
 * A throwaway PKI for SNS signature tests, made with the `openssl` CLI at
 * test time so no private key is ever committed, and a fake certificate
 * fetcher that records what it was asked for. Test-only: it runs a
 * process and writes files, which production domain code never does.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { sign } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CertificateFetcher } from "../sns.js";

/** Keys and certificates of one test run, all PEM text. */
export interface SnsTestPki {
  readonly dir: string;
  readonly caCertPem: string;
  /** The signing certificate (valid 30 days) and its private key. */
  readonly leafCertPem: string;
  readonly leafKeyPem: string;
  /** A certificate for the same key that is valid for one day only. */
  readonly shortLivedCertPem: string;
  /** A certificate from the same CA for a different key. */
  readonly otherCertPem: string;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function issue(
  dir: string,
  key: string,
  cert: string,
  days: number,
  serial: number,
  subject = "sns.amazonaws.com",
  extensions: readonly string[] = [],
): void {
  const csr = `${cert}.csr`;
  openssl(dir, ["req", "-new", "-key", key, "-subj", `/CN=${subject}`, "-out", csr]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-set_serial",
    String(serial),
    "-days",
    String(days),
    "-sha256",
    ...extensions,
    "-out",
    cert,
  ]);
}

function newKey(dir: string, file: string): void {
  openssl(dir, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", file]);
}

/**
 * Creates a CA, a 30-day signing certificate, a 1-day certificate for the
 * same key and a certificate for another key, in a new temporary directory.
 * Works with OpenSSL 3.0 (no `-not_before`, so expiry is tested by moving
 * the verifier's clock instead).
 */
export function createSnsTestPki(): SnsTestPki {
  const dir = mkdtempSync(join(tmpdir(), "runframe-sns-"));
  newKey(dir, "ca.key");
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    "ca.key",
    "-subj",
    "/CN=Runframe SNS Test CA",
    "-days",
    "30",
    "-sha256",
    "-out",
    "ca.pem",
  ]);
  newKey(dir, "leaf.key");
  newKey(dir, "other.key");
  issue(dir, "leaf.key", "leaf.pem", 30, 1);
  issue(dir, "leaf.key", "short.pem", 1, 2);
  issue(dir, "other.key", "other.pem", 30, 3);
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  return {
    dir,
    caCertPem: read("ca.pem"),
    leafCertPem: read("leaf.pem"),
    leafKeyPem: read("leaf.key"),
    shortLivedCertPem: read("short.pem"),
    otherCertPem: read("other.pem"),
  };
}

/**
 * A TLS server certificate from the test CA for a loopback `address` (an IP
 * literal), so a test HTTPS server there can play the AWS certificate host
 * for processes that trust the CA (`NODE_EXTRA_CA_CERTS=<dir>/ca.pem`).
 */
export function issueTlsCertificate(
  pki: SnsTestPki,
  address = "127.0.0.1",
): { key: string; cert: string } {
  const dir = pki.dir;
  newKey(dir, "tls.key");
  writeFileSync(join(dir, "tls.ext"), `subjectAltName=IP:${address},DNS:localhost\n`);
  issue(dir, "tls.key", "tls.pem", 5, 99, address, ["-extfile", "tls.ext"]);
  return {
    key: readFileSync(join(dir, "tls.key"), "utf8"),
    cert: readFileSync(join(dir, "tls.pem"), "utf8"),
  };
}

/** Deletes the temporary directory of {@link createSnsTestPki}. */
export function removeSnsTestPki(pki: SnsTestPki): void {
  rmSync(pki.dir, { recursive: true, force: true });
}

/**
 * The base64 RSA signature SNS would send over `stringToSign`:
 * SignatureVersion 1 signs with SHA-1, 2 with SHA-256.
 */
export function signSnsString(stringToSign: string, keyPem: string, version: "1" | "2"): string {
  const digest = version === "1" ? "sha1" : "sha256";
  return sign(digest, Buffer.from(stringToSign, "utf8"), keyPem).toString("base64");
}

/**
 * Serves certificates by exact URL and records every URL requested. While
 * paused, fetches wait until {@link FakeCertificateFetcher.release}, so
 * tests can hold several verifications in flight at once.
 */
export class FakeCertificateFetcher implements CertificateFetcher {
  readonly requests: string[] = [];
  readonly #pems = new Map<string, string>();
  #paused: Promise<void> | undefined;
  #release: (() => void) | undefined;

  serve(url: string, pem: string): this {
    this.#pems.set(url, pem);
    return this;
  }

  pause(): void {
    this.#paused = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#release?.();
    this.#paused = undefined;
    this.#release = undefined;
  }

  async fetch(url: URL): Promise<string> {
    this.requests.push(url.href);
    if (this.#paused !== undefined) {
      await this.#paused;
    }
    const pem = this.#pems.get(url.href);
    if (pem === undefined) {
      throw new Error(`no certificate served at ${url.href}`);
    }
    return pem;
  }
}
