/**
 * Security: forged and replayed provider callbacks. The Flutterwave hash is a
 * static shared secret that does not cover the body (docs/providers.md, §Flutterwave webhooks),
 * so two defences must both hold: the intake refuses anything but the exact
 * secret (or the exact HMAC of the raw body), and the consumer believes only
 * what the provider's own API says, never the body, even when the secret
 * leaked. These go through the real route, the real queue and the real
 * consumer; the provider is the look-alike, asked through its control API.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { requireConfig } from "../../src/lib/config";
import { hmacSha256Base64 } from "../../src/lib/crypto";
import { WEBHOOK_BODY_MAX_BYTES } from "../../src/lib/limits";
import { passDeadline } from "../support/faults";
import {
  api,
  eventually,
  expectLedgerConsistent,
  expectProblem,
  loadMongoDriverFirst,
  runReconciler,
} from "../support/helpers";
import { pendingFunding } from "../support/realtime";
import { control, envelope } from "../support/sandbox";

const config = requireConfig(env);
const HASH = config.FLUTTERWAVE_WEBHOOK_HASH;
const WEBHOOK = "/wallet/flutterwave/webhook";

const chargeEvent = (id: number, tx_ref: string, amount = 1500) =>
  JSON.stringify({
    event: "charge.completed",
    "event.type": "CARD_TRANSACTION",
    data: { id, tx_ref, status: "successful", amount, charged_amount: amount, currency: "NGN" },
  });

function post(body: BodyInit, headers: HeadersInit) {
  return api(WEBHOOK, { method: "POST", headers, body, duplex: "half" } as RequestInit);
}

/** A charge recorded at the look-alike for a reference (as if someone paid it), without a webhook. */
async function providerCharge(tx_ref: string, amount: number, status = "successful") {
  return (
    await envelope<{ id: number }>(
      await control("/transactions", { body: { tx_ref, amount, currency: "NGN", status } }),
    )
  ).data.id;
}

/** How many times the look-alike was asked to verify this charge id. */
async function verifications(id: number): Promise<number> {
  return (
    await envelope<{ count: number }>(
      await control(
        `/requests?operation=transactions.verify&match=${encodeURIComponent(`/transactions/${id}/verify`)}`,
      ),
    )
  ).data.count;
}

afterEach(() => vi.restoreAllMocks());
// A final funding's test reconciles right after its first wallet, a timed provider call (helpers.ts says why).
loadMongoDriverFirst();

describe("webhook intake: only the exact secret opens it", () => {
  it("refuses a verif-hash that differs in its last character, has one more, is upper-cased, or is sent twice, and queues nothing", async () => {
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const last = HASH.at(-1)!;
    const swapped = HASH.slice(0, -1) + (last === "0" ? "1" : "0");
    const body = chargeEvent(1, "fnd_x");
    for (const forged of [
      swapped,
      `${HASH}0`,
      `0${HASH}`,
      HASH.toUpperCase() === HASH ? HASH.toLowerCase() : HASH.toUpperCase(),
      `${HASH},${HASH}`,
      `"${HASH}"`,
      btoa(HASH),
    ]) {
      expect(
        (
          await expectProblem(
            await post(body, { "content-type": "application/json", "verif-hash": forged }),
            401,
          )
        ).code,
      ).toBe("webhook_signature_invalid");
    }
    const twice = new Headers({ "content-type": "application/json" });
    twice.append("verif-hash", HASH);
    twice.append("verif-hash", HASH);
    await expectProblem(await post(body, twice), 401);
    expect(send).not.toHaveBeenCalled();
    // The control: the exact secret is accepted.
    expect(
      (await post(body, { "content-type": "application/json", "verif-hash": HASH })).status,
    ).toBe(200);
  });

  it("refuses a flutterwave-signature made with another key, replayed onto another body, or encoded otherwise, and queues nothing", async () => {
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const body = chargeEvent(2, "fnd_y");
    const bytes = new TextEncoder().encode(body);
    const genuine = hmacSha256Base64(HASH, bytes);
    const otherBody = chargeEvent(2, "fnd_y", 1_500_000);
    for (const signature of [
      hmacSha256Base64(`${HASH}x`, bytes),
      hmacSha256Base64(config.JWT_SECRET_KEY, bytes),
      genuine.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "") === genuine
        ? `${genuine}A`
        : genuine.replaceAll("+", "-").replaceAll("/", "_"),
      `sha256=${genuine}`,
      genuine.slice(0, -2),
    ]) {
      await expectProblem(
        await post(body, {
          "content-type": "application/json",
          "flutterwave-signature": signature,
        }),
        401,
      );
    }
    // A genuine signature copied from one delivery onto an edited body.
    await expectProblem(
      await post(otherBody, {
        "content-type": "application/json",
        "flutterwave-signature": genuine,
      }),
      401,
    );
    expect(send).not.toHaveBeenCalled();
    expect(
      (await post(body, { "content-type": "application/json", "flutterwave-signature": genuine }))
        .status,
    ).toBe(200);
  });

  it("never lets the content type stand in for the signature, and refuses a signed body that is not JSON", async () => {
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const body = chargeEvent(3, "fnd_z");
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "",
    ]) {
      const headers: Record<string, string> = type ? { "content-type": type } : {};
      await expectProblem(await post(body, { ...headers, "verif-hash": "wrong" }), 401);
      await expectProblem(await post(body, headers), 401);
    }
    // Signed, but a form: nothing a consumer could read, so nothing is queued.
    const formBody = new URLSearchParams({
      event: "charge.completed",
      "data[tx_ref]": "fnd_z",
      "data[status]": "successful",
    }).toString();
    expect(
      (
        await expectProblem(
          await post(formBody, {
            "content-type": "application/x-www-form-urlencoded",
            "verif-hash": HASH,
          }),
          400,
        )
      ).code,
    ).toBe("malformed_webhook");
    expect(send).not.toHaveBeenCalled();
  });

  it("refuses an oversized webhook streamed without Content-Length with 413, and queues nothing", async () => {
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const chunk = new TextEncoder().encode(" ".repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0)
          controller.enqueue(new TextEncoder().encode('{"event":"charge.completed","pad":"'));
        if (sent > WEBHOOK_BODY_MAX_BYTES * 2) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const problem = await expectProblem(
      await post(stream, { "content-type": "application/json", "verif-hash": HASH }),
      413,
    );
    expect(problem.code).toBe("payload_too_large");
    expect(send).not.toHaveBeenCalled();
  });

  it("answers every wrong VTpass callback secret (last character, prefix, longer, other case, encoded) like an unknown route, and queues nothing", async () => {
    const send = vi.spyOn(env.WALLET_EVENTS, "send");
    const secret = config.vtpass!.callback_secret;
    const body = JSON.stringify({
      type: "transaction-update",
      data: { requestId: "202611270000abc", content: { transactions: { status: "delivered" } } },
    });
    const swapped = secret.slice(0, -1) + (secret.at(-1) === "1" ? "2" : "1");
    const unknown = await expectProblem(
      await api("/wallet/vtpass/callback/x", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
      404,
    );
    for (const guess of [
      swapped,
      secret.slice(0, -1),
      secret.slice(0, 8),
      `${secret}0`,
      secret.toUpperCase(),
      encodeURIComponent(`${secret}/`),
      `${secret}%00`,
      "",
    ]) {
      const res = await api(`/wallet/vtpass/callback/${guess}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const problem = await expectProblem(res, 404);
      expect({ code: problem.code, title: problem.title }).toEqual({
        code: unknown.code,
        title: unknown.title,
      });
    }
    expect(send).not.toHaveBeenCalled();
  });
});

describe("webhook consumer: the body is a claim, the provider's answer is the fact", () => {
  it("does not credit a correctly signed body that claims success for a failed charge: the provider's 'failed' wins", async () => {
    const victim = await pendingFunding(150_000);
    const failed = await providerCharge(victim.tx_ref, 1500, "failed");
    expect(
      (
        await post(chargeEvent(failed, victim.tx_ref, 1500), {
          "content-type": "application/json",
          "verif-hash": HASH,
        })
      ).status,
    ).toBe(200);
    // The consumer asked the provider and recorded its answer: a failed attempt, the checkout still open.
    await eventually(async () =>
      expect((await victim.stub.getTransaction(victim.tx_ref))?.stage).toBe("attempt_failed"),
    );
    expect(await victim.stub.getTransaction(victim.tx_ref)).toMatchObject({ status: "PENDING" });
    expect((await expectLedgerConsistent(victim.stub)).balance_minor).toBe(0);
    expect(await verifications(failed)).toBeGreaterThanOrEqual(1);
  });

  it("does not credit a correctly signed body naming a charge the provider does not have, or another user's paid charge with an edited amount", async () => {
    const victim = await pendingFunding(150_000);
    const attacker = await pendingFunding(10_000);
    const attackersCharge = await providerCharge(attacker.tx_ref, 100);
    const invented = 900_000_000 + Math.floor(Math.random() * 90_000_000);
    for (const body of [
      chargeEvent(invented, victim.tx_ref),
      chargeEvent(attackersCharge, victim.tx_ref, 1500),
    ]) {
      expect(
        (await post(body, { "content-type": "application/json", "verif-hash": HASH })).status,
      ).toBe(200);
    }
    // Both claims reached the provider (so both were processed), and neither moved money.
    await eventually(async () => {
      expect(await verifications(invented)).toBeGreaterThanOrEqual(1);
      expect(await verifications(attackersCharge)).toBeGreaterThanOrEqual(1);
    });
    // Then the victim pays for real, through a webhook of their own: only that credits, by the amount paid.
    const genuine = await providerCharge(victim.tx_ref, 1500);
    expect(
      (
        await post(chargeEvent(genuine, victim.tx_ref), {
          "content-type": "application/json",
          "verif-hash": HASH,
        })
      ).status,
    ).toBe(200);
    await eventually(async () =>
      expect((await victim.stub.getTransaction(victim.tx_ref))?.status).toBe("SUCCESS"),
    );
    const audit = await expectLedgerConsistent(victim.stub);
    expect({ balance_minor: audit.balance_minor, journal_rows: audit.journal_rows }).toEqual({
      balance_minor: 150_000,
      journal_rows: 1,
    });
    // The attacker's own funding was not settled by a webhook that named someone else.
    expect(await attacker.stub.getTransaction(attacker.tx_ref)).toMatchObject({
      status: "PENDING",
    });
    expect((await expectLedgerConsistent(attacker.stub)).balance_minor).toBe(0);
  });

  it("verifies a correctly signed body naming a failed or a credited funding with an invented charge or another funding's paid charge, and it moves no money and records nothing", async () => {
    const failed = await pendingFunding(150_000);
    await passDeadline(failed.stub, failed.tx_ref);
    await runReconciler(failed.stub);
    expect(await failed.stub.getTransaction(failed.tx_ref)).toMatchObject({ status: "FAILED" });
    const credited = await pendingFunding(150_000);
    const paid = await providerCharge(credited.tx_ref, 1500);
    expect(
      (
        await post(chargeEvent(paid, credited.tx_ref), {
          "content-type": "application/json",
          "verif-hash": HASH,
        })
      ).status,
    ).toBe(200);
    await eventually(async () =>
      expect((await credited.stub.getTransaction(credited.tx_ref))?.status).toBe("SUCCESS"),
    );
    const attacker = await pendingFunding(10_000);
    const attackersCharge = await providerCharge(attacker.tx_ref, 100);
    const invented = (n: number) =>
      900_000_000 + n * 1_000_000 + Math.floor(Math.random() * 1_000_000);
    const claims = [
      { victim: failed, id: invented(1) },
      { victim: failed, id: attackersCharge },
      { victim: credited, id: invented(2) },
      { victim: credited, id: attackersCharge },
    ];
    for (const { victim, id } of claims) {
      expect(
        (
          await post(chargeEvent(id, victim.tx_ref, 1500), {
            "content-type": "application/json",
            "verif-hash": HASH,
          })
        ).status,
      ).toBe(200);
    }
    // A final funding's event is still a claim the provider is asked about (not acked unread), and every claim was.
    await eventually(async () => {
      expect(await verifications(claims[0].id)).toBeGreaterThanOrEqual(1);
      expect(await verifications(claims[2].id)).toBeGreaterThanOrEqual(1);
      expect(await verifications(attackersCharge)).toBeGreaterThanOrEqual(2);
    });
    // The control: each victim's own genuine late payment is recorded, for its own charge only.
    const late = {
      failed: await providerCharge(failed.tx_ref, 1500),
      credited: await providerCharge(credited.tx_ref, 1500),
    };
    for (const [victim, id] of [
      [failed, late.failed],
      [credited, late.credited],
    ] as const) {
      expect(
        (
          await post(chargeEvent(id, victim.tx_ref), {
            "content-type": "application/json",
            "verif-hash": HASH,
          })
        ).status,
      ).toBe(200);
    }
    await eventually(async () => {
      expect(await failed.stub.anomalies()).toEqual([
        expect.objectContaining({ kind: "paid_after_terminal", ref: String(late.failed) }),
      ]);
      expect(await credited.stub.anomalies()).toEqual([
        expect.objectContaining({ kind: "paid_twice", ref: String(late.credited) }),
      ]);
    });
    expect(await failed.stub.getTransaction(failed.tx_ref)).toMatchObject({
      status: "FAILED",
      provider_ref: null,
    });
    expect(await credited.stub.getTransaction(credited.tx_ref)).toMatchObject({
      status: "SUCCESS",
      provider_ref: String(paid),
    });
    for (const [victim, balance_minor, journal_rows] of [
      [failed, 0, 0],
      [credited, 150_000, 1],
    ] as const) {
      const audit = await expectLedgerConsistent(victim.stub);
      expect({
        balance_minor: audit.balance_minor,
        held_minor: audit.held_minor,
        journal_rows: audit.journal_rows,
      }).toEqual({ balance_minor, held_minor: 0, journal_rows });
    }
    // The attacker's own funding was neither settled nor credited by claims that named someone else's.
    expect(await attacker.stub.getTransaction(attacker.tx_ref)).toMatchObject({
      status: "PENDING",
    });
    expect(await attacker.stub.anomalies()).toEqual([]);
    expect((await expectLedgerConsistent(attacker.stub)).balance_minor).toBe(0);
  });
});
