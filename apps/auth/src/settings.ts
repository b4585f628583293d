import { hostPortList, key32, mongoUrl, redisUrl } from "@runframe/platform";
import { str } from "envalid";

/** Where auth keeps its state, and the key that seals signing secrets. */
export const dataSpecs = {
  MONGO_URL: mongoUrl({ desc: "MongoDB holding integrations and API keys" }),
  REDIS_URL: redisUrl({
    default: undefined,
    requiredWhen: (env) => !env["REDIS_CLUSTER_NODES"],
    desc: "Redis for rate limits (or set REDIS_CLUSTER_NODES)",
  }),
  REDIS_CLUSTER_NODES: hostPortList({ default: undefined }),
  RUNFRAME_SECRET_KEY: key32({ desc: "32 bytes, base64: seals signing secrets at rest" }),
  RUNFRAME_BOOTSTRAP: str({ default: undefined, desc: "provisioning file applied at start" }),
};
