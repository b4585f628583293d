import { hostPortList, key32, mongoUrl, redisUrl } from "@runframe/platform";
import { str } from "envalid";

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
};
