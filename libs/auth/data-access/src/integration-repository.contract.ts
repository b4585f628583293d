import type { IntegrationRecord, IntegrationRepository } from "@runframe/auth-domain";
import { IntegrationType } from "@runframe/contracts";
import { AlreadyExistsError } from "@runframe/util";
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

    it("stores API keys by secret hash", async () => {
      await fixture.repo.putApiKey({
        id: "key-1",
        organizationId: "org-a",
        secretHash: "h1",
        role: "admin",
      });
      await fixture.repo.putApiKey({
        id: "key-1",
        organizationId: "org-a",
        secretHash: "h2",
        role: "admin",
      });
      expect(await fixture.repo.findApiKey("h1")).toBeUndefined();
      expect(await fixture.repo.findApiKey("h2")).toEqual({
        id: "key-1",
        organizationId: "org-a",
        secretHash: "h2",
        role: "admin",
      });
    });
  });
}
