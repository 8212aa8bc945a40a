import { describe, expect, it } from "vitest";
import { FUND_PENDING_MAX_DEFAULT } from "../../../src/domain/limits";
import {
  api,
  bearerFor,
  expectProblem,
  form,
  newWallet,
  WAITS_FOR_RATE_WINDOW_MS,
  withinOneRateWindow,
} from "../../support/helpers";

/** FUND_USER_LIMITER as the workers project configures it (vitest.config.ts, over wrangler.jsonc's production value). */
const DEVELOPMENT_FUND_LIMIT = 120;

describe("POST /wallet/fund is rate-limited per user", () => {
  it(
    "refuses the attempt past the limit with 429 and Retry-After, counting invalid bodies too, and spares other users",
    async () => {
      const user = await bearerFor((await newWallet()).user_id);
      const other = await bearerFor((await newWallet()).user_id);
      await withinOneRateWindow(20_000);
      const statuses: number[] = [];
      // An amount below the minimum is a 422: cheap, and still counted (the limit runs before validation).
      for (let i = 0; i < DEVELOPMENT_FUND_LIMIT; i++) {
        const res = await api("/wallet/fund", form({ amount: "1" }, user));
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses.every((s) => s === 422)).toBe(true);
      const limited = await api("/wallet/fund", form({ amount: "1500" }, user));
      expect(limited.headers.get("retry-after")).toBe("60");
      expect((await expectProblem(limited, 429)).code).toBe("rate_limited");
      // Another user, even from the same address, is not affected.
      await expectProblem(await api("/wallet/fund", form({ amount: "1" }, other)), 422);
    },
    WAITS_FOR_RATE_WINDOW_MS,
  );
});

/** FUND_PENDING_MAX as the workers project configures it (vitest.config.ts): the production default. */
const TEST_FUND_PENDING_MAX = FUND_PENDING_MAX_DEFAULT;

describe("POST /wallet/fund limits open PENDING fundings per wallet", () => {
  it("refuses a new funding past the limit with 409 too_many_pending_fundings, and stores nothing for it", async () => {
    const { user_id, stub } = await newWallet();
    const user = await bearerFor(user_id);
    for (let i = 0; i < TEST_FUND_PENDING_MAX; i++) {
      const res = await api("/wallet/fund", form({ amount: "1500" }, user));
      expect(res.status).toBe(201);
      await res.arrayBuffer();
    }
    const refused = await expectProblem(
      await api("/wallet/fund", form({ amount: "1500" }, user)),
      409,
    );
    expect(refused.code).toBe("too_many_pending_fundings");
    expect(refused).toMatchObject({ pending: TEST_FUND_PENDING_MAX, limit: TEST_FUND_PENDING_MAX });
    const listed = await stub.listTransactions({ limit: 100 });
    expect(listed.ok && listed.data.length).toBe(TEST_FUND_PENDING_MAX);
  });

  it("opens again once a pending funding ends, and still replays an earlier Idempotency-Key at the limit", async () => {
    const { user_id, stub } = await newWallet();
    const user = await bearerFor(user_id);
    const first = await api(
      "/wallet/fund",
      form({ amount: "1500" }, { ...user, "idempotency-key": "first" }),
    );
    expect(first.status).toBe(201);
    const { tx_ref } = (await first.json()) as { tx_ref: string };
    for (let i = 1; i < TEST_FUND_PENDING_MAX; i++)
      await (await api("/wallet/fund", form({ amount: "1500" }, user))).arrayBuffer();
    await expectProblem(await api("/wallet/fund", form({ amount: "1500" }, user)), 409);

    const replay = await api(
      "/wallet/fund",
      form({ amount: "1500" }, { ...user, "idempotency-key": "first" }),
    );
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    await replay.arrayBuffer();

    // The customer pays the first one: it is no longer pending, so a new one may open.
    const paid = await stub.applyProviderFacts(
      tx_ref,
      {
        found: true,
        provider_ref: "9001",
        our_ref: tx_ref,
        outcome: "succeeded",
        amount_minor: 150_000,
        currency: "NGN",
        message: null,
      },
      { via: "webhook" },
    );
    expect(paid.outcome).toBe("credited");
    const reopened = await api("/wallet/fund", form({ amount: "1500" }, user));
    expect(reopened.status).toBe(201);
    await reopened.arrayBuffer();
  });

  it("counts inside the wallet's open transaction: concurrent opens never overshoot", async () => {
    const { user_id, stub } = await newWallet();
    const user = await bearerFor(user_id);
    const answers = await Promise.all(
      Array.from({ length: TEST_FUND_PENDING_MAX + 5 }, async () => {
        const res = await api("/wallet/fund", form({ amount: "1500" }, user));
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(answers.filter((s) => s === 201)).toHaveLength(TEST_FUND_PENDING_MAX);
    expect(answers.filter((s) => s === 409)).toHaveLength(5);
    const listed = await stub.listTransactions({ limit: 100 });
    expect(listed.ok && listed.data.filter((tx) => tx.status === "PENDING").length).toBe(
      TEST_FUND_PENDING_MAX,
    );
  });
});
