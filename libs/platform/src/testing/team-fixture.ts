import type { Stack } from "./stack.js";

/**
 * A provisioning file with two organizations, for tests that call the team
 * API as outside clients do (TypeScript, Go, Python, a browser): one key
 * each, so every suite can check that an organization never sees the
 * other's incidents.
 */
export const teamFixture = {
  apiKeyA: "rf_test_team_key_a_000000000000000000000000",
  apiKeyB: "rf_test_team_key_b_000000000000000000000000",
  routingKeyA: "test_team_routing_key_a_00000000000000000000",
  routingKeyB: "test_team_routing_key_b_00000000000000000000",
  bootstrap: {
    organizations: [
      {
        id: "org-a",
        name: "A",
        apiKeys: [
          { id: "key-a", secret: "rf_test_team_key_a_000000000000000000000000", role: "admin" },
        ],
        services: [{ id: "SER-00001", name: "Checkout API" }],
        integrations: [
          {
            id: "int-a",
            type: "custom",
            name: "A scripts",
            routingKey: "test_team_routing_key_a_00000000000000000000",
          },
        ],
      },
      {
        id: "org-b",
        name: "B",
        apiKeys: [
          { id: "key-b", secret: "rf_test_team_key_b_000000000000000000000000", role: "admin" },
        ],
        services: [{ id: "SER-00001", name: "Billing" }],
        integrations: [
          {
            id: "int-b",
            type: "custom",
            name: "B scripts",
            routingKey: "test_team_routing_key_b_00000000000000000000",
          },
        ],
      },
    ],
  },
} as const;

/**
 * Sends the fixture's first webhooks: one incident in organization A
 * (INC-00001) and two in B, so B's INC-00002 exists only for B and A must
 * get NOT_FOUND for it.
 */
export async function seedTeamIncidents(stack: Stack): Promise<void> {
  for (const [key, count] of [
    [teamFixture.routingKeyA, 1],
    [teamFixture.routingKeyB, 2],
  ] as const) {
    for (let i = 0; i < count; i++) {
      const res = await stack.webhook(key, JSON.stringify({ title: "t", service_id: "SER-00001" }));
      if (res.status !== 202) {
        throw new Error(`seeding incidents: webhook answered ${res.status} ${await res.text()}`);
      }
    }
  }
}
