import type { ApiKeyRecord, IntegrationRecord, IntegrationRepository } from "@runframe/auth-domain";
import { create } from "@bufbuild/protobuf";
import {
  AlertGrouping,
  IntegrationOptionsSchema,
  IntegrationType,
  Severity,
} from "@runframe/contracts";
import { AlreadyExistsError, normalizeOptions } from "@runframe/util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A repository on fresh, empty storage, and how to throw it away. */
export interface RepositoryFixture {
  readonly repo: IntegrationRepository;
  dispose(): Promise<void>;
}

const record = (id: string, overrides: Partial<IntegrationRecord> = {}): IntegrationRecord => ({
  id,
  organizationId: "org-a",
  type: IntegrationType.CUSTOM,
  name: id,
  defaultServiceId: "SER-00001",
  enabled: true,
  rateLimitPerMinute: 100,
  routingKeyHash: `hash-${id}`,
  routingKeyHint: "abcd",
  signingSecrets: [
    { sealed: "v1.a.b.c" },
    { sealed: "v1.d.e.f", notAfter: new Date(1_900_000_000_000) },
  ],
  snsTopicArns: [],
  options: normalizeOptions(IntegrationType.CUSTOM, undefined),
  createdAt: new Date(1_800_000_000_000 + Number(id.replace(/\D/g, "") || 0)),
  updatedAt: new Date(1_800_000_000_000),
  ...overrides,
});

/** What every IntegrationRepository must do, on MongoDB and on SQLite alike. */
export function describeIntegrationRepositoryContract(
  name: string,
  open: () => Promise<RepositoryFixture>,
): void {
  describe(`integration repository contract: ${name}`, () => {
    let fixture: RepositoryFixture;
    beforeAll(async () => {
      fixture = await open();
    });
    afterAll(() => fixture.dispose());

    it("stores and finds an integration by id and by routing-key hash, round-tripping every field", async () => {
      const int = record("int-1");
      await fixture.repo.insert(int);
      expect(await fixture.repo.get("org-a", "int-1")).toEqual(int);
      expect(await fixture.repo.findByRoutingKeyHash("hash-int-1")).toEqual(int);
      expect(await fixture.repo.get("org-b", "int-1")).toBeUndefined();
    });

    it("round-trips every option, severity keys MongoDB refuses as field names included", async () => {
      const options = normalizeOptions(
        IntegrationType.PROMETHEUS,
        create(IntegrationOptionsSchema, {
          severityOverrides: { critical: Severity.SEV0, "sev.1": Severity.SEV1, $x: Severity.SEV4 },
          alertGrouping: AlertGrouping.GROUP,
          autoResolve: { afterMinutes: 90 },
          flapping: { threshold: 3, windowMinutes: 30 },
          heartbeat: { intervalSeconds: 60, graceSeconds: 15, severity: Severity.SEV2 },
          redriveThrottled: false,
        }),
      );
      const int = record("int-31", { type: IntegrationType.PROMETHEUS, options });
      await fixture.repo.insert(int);
      expect(await fixture.repo.get("org-a", "int-31")).toEqual(int);
      expect(await fixture.repo.findByRoutingKeyHash("hash-int-31")).toEqual(int);
    });

    it("refuses a second integration with the same id or routing key", async () => {
      await fixture.repo.insert(record("int-2"));
      await expect(
        fixture.repo.insert(record("int-2", { routingKeyHash: "other" })),
      ).rejects.toThrow(AlreadyExistsError);
      await expect(
        fixture.repo.insert(record("int-3", { routingKeyHash: "hash-int-2" })),
      ).rejects.toThrow(AlreadyExistsError);
      const third = record("int-4");
      await fixture.repo.insert(third);
      await expect(
        fixture.repo.replace(
          {
            ...third,
            routingKeyHash: "hash-int-2",
            updatedAt: new Date(third.updatedAt.getTime() + 1),
          },
          third.updatedAt,
        ),
      ).rejects.toThrow(AlreadyExistsError);
    });

    it("replaces by id", async () => {
      const read = record("int-5");
      await fixture.repo.insert(read);
      const rotated = record("int-5", {
        enabled: false,
        routingKeyHash: "rotated",
        updatedAt: new Date(read.updatedAt.getTime() + 1),
      });
      expect(await fixture.repo.replace(rotated, read.updatedAt)).toBe(true);
      expect(await fixture.repo.findByRoutingKeyHash("hash-int-5")).toBeUndefined();
      expect(await fixture.repo.findByRoutingKeyHash("rotated")).toMatchObject({ enabled: false });
    });

    it("replaces only an integration unchanged since it was read", async () => {
      const read = record("int-21");
      await fixture.repo.insert(read);
      const first = { ...read, enabled: false, updatedAt: new Date(read.updatedAt.getTime() + 1) };
      expect(await fixture.repo.replace(first, read.updatedAt)).toBe(true);
      const stale = {
        ...read,
        routingKeyHash: "stale-write",
        updatedAt: new Date(read.updatedAt.getTime() + 2),
      };
      expect(await fixture.repo.replace(stale, read.updatedAt)).toBe(false);
      expect(await fixture.repo.get("org-a", "int-21")).toEqual(first);
    });

    it("pages through an organization's integrations, oldest first", async () => {
      for (const id of ["int-11", "int-12", "int-13"]) {
        await fixture.repo.insert(record(id, { organizationId: "org-paged" }));
      }
      const first = await fixture.repo.list("org-paged", 2, undefined);
      expect(first.items.map((i) => i.id)).toEqual(["int-11", "int-12"]);
      const second = await fixture.repo.list("org-paged", 2, first.next);
      expect(second.items.map((i) => i.id)).toEqual(["int-13"]);
      expect(second.next).toBeUndefined();
    });

    const key = (id: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
      id,
      organizationId: "org-keys",
      secretHash: `secret-${id}`,
      role: "admin",
      name: `name of ${id}`,
      secretHint: "wxyz",
      createdAt: new Date(1_800_000_000_000 + Number(id.replace(/\D/g, "") || 0)),
      createdBy: "api-key:key-0",
      ...overrides,
    });

    it("stores API keys, found by secret hash and by id within their organization", async () => {
      const k = key("key-1", { organizationId: "org-a" });
      await fixture.repo.insertApiKey(k);
      expect(await fixture.repo.findApiKey("secret-key-1")).toEqual(k);
      expect(await fixture.repo.getApiKey("org-a", "key-1")).toEqual(k);
      expect(await fixture.repo.getApiKey("org-b", "key-1")).toBeUndefined();
      await expect(
        fixture.repo.insertApiKey(key("key-1", { secretHash: "other" })),
      ).rejects.toThrow(AlreadyExistsError);
      await expect(
        fixture.repo.insertApiKey(key("key-2", { secretHash: "secret-key-1" })),
      ).rejects.toThrow(AlreadyExistsError);
    });

    it("provisions a key: created, then replaced, but never revived once revoked", async () => {
      const org = "org-provisioned";
      const first = key("key-31", { organizationId: org, createdBy: "provisioning" });
      expect(await fixture.repo.provisionApiKey(first)).toBe(true);
      const later = new Date(first.createdAt.getTime() + 60_000);
      expect(
        await fixture.repo.provisionApiKey({
          ...first,
          secretHash: "rotated-in-file",
          role: "viewer",
          createdAt: later,
        }),
      ).toBe(true);
      expect(await fixture.repo.findApiKey(first.secretHash)).toBeUndefined();
      // The second admin lets the first be revoked.
      await fixture.repo.insertApiKey(key("key-32", { organizationId: org }));
      expect(await fixture.repo.findApiKey("rotated-in-file")).toEqual({
        ...first,
        secretHash: "rotated-in-file",
        role: "viewer",
      });
      const revoked = await fixture.repo.revokeApiKey(org, "key-31", later, "api-key:key-32");
      expect(revoked.state).toBe("revoked");
      expect(await fixture.repo.provisionApiKey({ ...first, createdAt: later })).toBe(false);
      expect(await fixture.repo.findApiKey(first.secretHash)).toBeUndefined();
      expect(await fixture.repo.getApiKey(org, "key-31")).toMatchObject({
        secretHash: "rotated-in-file",
        revokedAt: later,
        revokedBy: "api-key:key-32",
      });
    });

    it("revokes a key once, and never the organization's last active admin key", async () => {
      const org = "org-revoke";
      await fixture.repo.insertApiKey(key("key-41", { organizationId: org }));
      await fixture.repo.insertApiKey(key("key-42", { organizationId: org, role: "viewer" }));
      await fixture.repo.insertApiKey(key("key-43", { organizationId: org }));
      const at = new Date(1_900_000_000_000);
      expect(await fixture.repo.revokeApiKey(org, "key-42", at, "api-key:key-41")).toEqual({
        state: "revoked",
        key: {
          ...key("key-42", { organizationId: org, role: "viewer" }),
          revokedAt: at,
          revokedBy: "api-key:key-41",
        },
      });
      expect(
        await fixture.repo.revokeApiKey(org, "key-42", new Date(), "api-key:key-43"),
      ).toMatchObject({ state: "already-revoked", key: { revokedAt: at } });
      expect(await fixture.repo.revokeApiKey("org-other", "key-41", at, "x")).toEqual({
        state: "not-found",
      });
      expect((await fixture.repo.revokeApiKey(org, "key-43", at, "api-key:key-43")).state).toBe(
        "revoked",
      );
      expect(await fixture.repo.revokeApiKey(org, "key-41", at, "api-key:key-41")).toEqual({
        state: "last-admin",
      });
      expect((await fixture.repo.getApiKey(org, "key-41"))?.revokedAt).toBeUndefined();
    });

    it("leaves at least one admin key when the last two revoke each other at once", async () => {
      const org = "org-race";
      await fixture.repo.insertApiKey(key("key-51", { organizationId: org }));
      await fixture.repo.insertApiKey(key("key-52", { organizationId: org }));
      const at = new Date();
      const outcomes = await Promise.all([
        fixture.repo.revokeApiKey(org, "key-51", at, "api-key:key-52"),
        fixture.repo.revokeApiKey(org, "key-52", at, "api-key:key-51"),
      ]);
      expect(outcomes.filter((o) => o.state === "revoked").length).toBeLessThanOrEqual(1);
      const page = await fixture.repo.listApiKeys(org, 10, undefined);
      expect(page.items.filter((k) => k.revokedAt === undefined).length).toBeGreaterThanOrEqual(1);
    });

    it("pages through an organization's keys, oldest first, revoked ones included", async () => {
      const org = "org-key-pages";
      for (const id of ["key-63", "key-61", "key-62"]) {
        await fixture.repo.insertApiKey(key(id, { organizationId: org }));
      }
      await fixture.repo.revokeApiKey(org, "key-62", new Date(), "api-key:key-61");
      const first = await fixture.repo.listApiKeys(org, 2, undefined);
      expect(first.items.map((k) => k.id)).toEqual(["key-61", "key-62"]);
      expect(first.items[1]!.revokedAt).toBeInstanceOf(Date);
      const second = await fixture.repo.listApiKeys(org, 2, first.next);
      expect(second.items.map((k) => k.id)).toEqual(["key-63"]);
      expect(second.next).toBeUndefined();
    });
  });
}
