/**
 * Saved recipients through the real routes (issue 23): saved in the caller's
 * own wallet (another user's id is a 404, never a 403), a meter verified with
 * the VTpass look-alike when saved, duplicates and the per-user bound
 * refused, `beneficiary_id` standing in for the recipient's fields on a
 * purchase, and suggestions from recent purchases not saved yet.
 */
import { describe, expect, it } from "vitest";
import {
  api,
  authedJson,
  expectLedgerConsistent,
  expectProblem,
  fundedWallet,
} from "../../support/helpers";
import { uniqueMtnNumber, uniqueNaira } from "../../support/purchases";

type Beneficiary = {
  id: string;
  nickname: string;
  kind: string;
  phone?: string;
  network?: string;
  meter?: string;
  verified_name: string | null;
};

const send = (auth: Record<string, string>, method: string, path: string, body?: unknown) =>
  api(path, {
    method,
    headers: { "content-type": "application/json", ...auth },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function saved(res: Response): Promise<Beneficiary> {
  const text = await res.text();
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${text}`);
  return JSON.parse(text) as Beneficiary;
}

describe("/wallet/beneficiaries", () => {
  it("saves a phone in the purchase form, reads, renames and deletes it; a duplicate (whatever network) is 409", async () => {
    const { auth } = await fundedWallet(1_00);
    const local = uniqueMtnNumber();
    const spaced = `+234 ${local.slice(1, 4)} ${local.slice(4, 7)} ${local.slice(7)}`;
    const b = await saved(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Mum",
        phone: spaced,
      }),
    );
    expect(b).toMatchObject({ kind: "phone", phone: local, network: "mtn", verified_name: null });
    expect(b.id).toMatch(/^ben_/);

    const dup = await expectProblem(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Mum again",
        phone: local,
        network: "glo",
      }),
      409,
    );
    expect(dup.code).toBe("beneficiary_exists");

    const list = (await (await send(auth, "GET", "/wallet/beneficiaries")).json()) as {
      beneficiaries: Beneficiary[];
      limit: number;
    };
    expect(list.beneficiaries.map((x) => x.id)).toEqual([b.id]);
    expect(list.limit).toBe(50);

    const renamed = await send(auth, "PATCH", `/wallet/beneficiaries/${b.id}`, {
      nickname: "Mother",
      network: "airtel",
    });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ nickname: "Mother", network: "airtel" });

    expect((await send(auth, "DELETE", `/wallet/beneficiaries/${b.id}`)).status).toBe(204);
    const gone = await expectProblem(await send(auth, "GET", `/wallet/beneficiaries/${b.id}`), 404);
    expect(gone.code).toBe("beneficiary_not_found");
  });

  it("verifies a meter with the provider when saved (its name kept); a wrong meter is 422 and nothing is saved", async () => {
    const { auth } = await fundedWallet(1_00);
    const b = await saved(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "meter",
        nickname: "Home",
        disco: "ikeja-electric",
        meter: "1111111111111",
        meter_type: "prepaid",
      }),
    );
    expect(b).toMatchObject({ kind: "meter", meter: "1111111111111", verified_name: "TESTMETER1" });
    const wrong = await expectProblem(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "meter",
        nickname: "Wrong",
        disco: "ikeja-electric",
        meter: "12345678901",
        meter_type: "prepaid",
      }),
      422,
    );
    expect(wrong.code).toBe("meter_invalid");
    const list = (await (await send(auth, "GET", "/wallet/beneficiaries")).json()) as {
      beneficiaries: Beneficiary[];
    };
    expect(list.beneficiaries).toHaveLength(1);
  });

  it("refuses the 51st recipient (BENEFICIARIES_MAX) and keeps 50", async () => {
    const { auth, stub } = await fundedWallet(1_00);
    for (let i = 0; i < 50; i++) {
      const res = await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: `n${i}`,
        phone: `0803${String(1_000_000 + i).padStart(7, "0")}`,
      });
      expect(res.status).toBe(201);
    }
    const over = await expectProblem(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "one too many",
        phone: "08039999999",
      }),
      409,
    );
    expect(over.code).toBe("too_many_beneficiaries");
    expect(await stub.listBeneficiaries()).toHaveLength(50);
  }, 60_000);

  it("another user's id is 404 on every route and as a purchase's beneficiary_id: nothing held, nothing changed", async () => {
    const owner = await fundedWallet(1_00);
    const other = await fundedWallet(10_000_00);
    const b = await saved(
      await send(owner.auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Mine",
        phone: uniqueMtnNumber(),
      }),
    );
    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { nickname: "Stolen" }],
      ["DELETE", undefined],
    ] as const) {
      const problem = await expectProblem(
        await send(other.auth, method, `/wallet/beneficiaries/${b.id}`, body),
        404,
      );
      expect(problem.code).toBe("beneficiary_not_found");
    }
    const bought = await expectProblem(
      await api(
        "/wallet/airtime",
        authedJson(other.auth, { beneficiary_id: b.id, amount: uniqueNaira() }),
      ),
      404,
    );
    expect(bought.code).toBe("beneficiary_not_found");
    const audit = await expectLedgerConsistent(other.stub);
    expect(audit.held_minor).toBe(0);
    expect(audit.balance_minor).toBe(10_000_00);
    expect(await owner.stub.getBeneficiary(b.id)).toMatchObject({ nickname: "Mine" });
  });

  it("buys airtime for a saved phone by beneficiary_id; both the id and a phone, or a meter for airtime, are refused", async () => {
    const { auth, stub } = await fundedWallet(100_000_00);
    const phone = await saved(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Delivers",
        phone: "08011111111",
        network: "mtn",
      }),
    );
    const amount = uniqueNaira();
    const res = await api(
      "/wallet/airtime",
      authedJson(auth, { beneficiary_id: phone.id, amount }),
    );
    const text = await res.text();
    expect(res.status, text).toBe(202);
    expect(JSON.parse(text)).toMatchObject({
      type: "AIRTIME",
      status: "SUCCESS",
      phone: "08011111111",
      network: "mtn",
      amount: `${amount}.00`,
    });

    const both = await expectProblem(
      await api(
        "/wallet/airtime",
        authedJson(auth, { beneficiary_id: phone.id, phone: "08011111111", amount }),
      ),
      422,
    );
    expect(both.code).toBe("validation_failed");
    const neither = await expectProblem(
      await api("/wallet/airtime", authedJson(auth, { amount })),
      422,
    );
    expect(neither.code).toBe("validation_failed");

    const meter = await saved(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "meter",
        nickname: "Home",
        disco: "ikeja-electric",
        meter: "1111111111111",
        meter_type: "prepaid",
      }),
    );
    const mismatch = await expectProblem(
      await api("/wallet/airtime", authedJson(auth, { beneficiary_id: meter.id, amount })),
      422,
    );
    expect(mismatch.code).toBe("beneficiary_kind_mismatch");
    await expectLedgerConsistent(stub);
  });

  it("suggests recent purchases' recipients not saved yet, each once, and drops one once it is saved", async () => {
    const { auth } = await fundedWallet(100_000_00);
    for (const amount of [uniqueNaira(), uniqueNaira()]) {
      const res = await api(
        "/wallet/airtime",
        authedJson(auth, { phone: "08011111111", network: "mtn", amount }),
      );
      expect(res.status, await res.text()).toBe(202);
    }
    const read = async () =>
      (
        (await (await send(auth, "GET", "/wallet/beneficiaries/suggested")).json()) as {
          suggested: { kind: string; phone?: string; network?: string }[];
        }
      ).suggested;
    expect(await read()).toEqual([
      expect.objectContaining({ kind: "phone", phone: "08011111111", network: "mtn" }),
    ]);
    await saved(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Now saved",
        phone: "08011111111",
      }),
    );
    expect(await read()).toEqual([]);
  });

  it("refuses to delete a recipient a schedule still buys for (409)", async () => {
    const { auth } = await fundedWallet(1_00);
    const b = await saved(
      await send(auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Scheduled",
        phone: uniqueMtnNumber(),
      }),
    );
    const schedule = await send(auth, "POST", "/wallet/schedules", {
      beneficiary_id: b.id,
      product: { kind: "airtime", amount: "100" },
      frequency: "daily",
      time: "08:00",
    });
    expect(schedule.status).toBe(201);
    const refused = await expectProblem(
      await send(auth, "DELETE", `/wallet/beneficiaries/${b.id}`),
      409,
    );
    expect(refused.code).toBe("beneficiary_in_use");
  });

  it("another user's schedule id is 404 on every route, and another user's recipient cannot be scheduled", async () => {
    const owner = await fundedWallet(1_00);
    const other = await fundedWallet(1_00);
    const b = await saved(
      await send(owner.auth, "POST", "/wallet/beneficiaries", {
        kind: "phone",
        nickname: "Mine",
        phone: uniqueMtnNumber(),
      }),
    );
    const body = {
      beneficiary_id: b.id,
      product: { kind: "airtime", amount: "100" },
      frequency: "daily",
      time: "08:00",
    };
    const created = await send(owner.auth, "POST", "/wallet/schedules", body);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (const [method, patch] of [
      ["GET", undefined],
      ["PATCH", { status: "paused" }],
      ["PATCH", { product: { kind: "airtime", amount: "200" } }],
      ["DELETE", undefined],
    ] as const) {
      const problem = await expectProblem(
        await send(other.auth, method, `/wallet/schedules/${id}`, patch),
        404,
      );
      expect(problem.code).toBe("schedule_not_found");
    }
    const stolen = await expectProblem(
      await send(other.auth, "POST", "/wallet/schedules", body),
      404,
    );
    expect(stolen.code).toBe("beneficiary_not_found");
    expect(await other.stub.listSchedules()).toEqual([]);
    expect(await owner.stub.getSchedule(id)).toMatchObject({
      status: "active",
      product: { kind: "airtime", amount: 100_00 },
      version: 1,
    });
  });
});
