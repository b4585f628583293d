import { DEFAULT_SNS_CERT_URL_PATTERN } from "@runframe/auth-domain";
import {
  clientSpecs,
  hostPortList,
  key32,
  mongoUrl,
  redisUrl,
  serviceUrl,
} from "@runframe/platform";
import { makeValidator, str } from "envalid";

/** A regular expression, compiled once to prove it is one. */
const regex = makeValidator<string>((input) => {
  try {
    new RegExp(input);
  } catch (error) {
    throw new Error(`must be a regular expression (${(error as Error).message})`);
  }
  return input;
});

/**
 * Where auth keeps its state, and the key that seals signing secrets. With
 * neither MONGO_URL nor REDIS_URL set, auth runs embedded: SQLite in
 * RUNFRAME_DATA_DIR and rate limits in memory.
 */
export const dataSpecs = {
  MONGO_URL: mongoUrl({ default: undefined, desc: "MongoDB for integrations and API keys" }),
  RUNFRAME_DATA_DIR: str({
    default: "./data",
    desc: "embedded SQLite store, used without MONGO_URL",
  }),
  REDIS_URL: redisUrl({ default: undefined, desc: "Redis for rate limits shared by replicas" }),
  REDIS_CLUSTER_NODES: hostPortList({ default: undefined }),
  RUNFRAME_SECRET_KEY: key32({ desc: "32 bytes, base64: seals signing secrets at rest" }),
  RUNFRAME_BOOTSTRAP: str({ default: undefined, desc: "provisioning file applied at start" }),
  RUNFRAME_INCIDENT_URL: serviceUrl({
    default: "http://127.0.0.1:7002",
    desc: "the incident service, which owns the service catalog",
  }),
  ...clientSpecs(),
  RUNFRAME_SNS_CERT_URL_PATTERN: regex({
    default: DEFAULT_SNS_CERT_URL_PATTERN,
    desc: "what SNS SigningCertURL must match; default: https on sns.<region>.amazonaws.com(.cn)",
  }),
};
