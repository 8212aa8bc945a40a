import { describe, expect, it } from "vitest";
import { api, bearerFor, expectProblem, form, newWallet, withinOneRateWindow } from "../helpers";

/** FUND_USER_LIMITER in wrangler.jsonc's development environment: 120 per minute per user. */
const DEVELOPMENT_FUND_LIMIT = 120;

describe("POST /wallet/fund is rate-limited per user", () => {
  it("refuses the attempt past the limit with 429 and Retry-After, counting invalid bodies too, and spares other users", async () => {
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
  });
});
