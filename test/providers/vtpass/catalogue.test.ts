/**
 * Catalogue reads through the client: VTpass's spellings (`varations`,
 * `minimium_amount`), exact prices in kobo, bounds, serviceIDs, balance.
 */
import { describe, expect, it } from "vitest";
import { AIRTIME_MAX_MINOR, AIRTIME_MIN_MINOR } from "../../../src/domain/limits";
import {
  airtimeBounds,
  productForServiceId,
  serviceIdFor,
  type ServiceInfo,
} from "../../../src/providers/vtpass/catalogue";
import { client, fakeVtpass, json } from "../../support/vtpass-fake";

const variation = (code: string, name: string, amount: unknown, fixedPrice = "Yes") => ({
  variation_code: code,
  name,
  variation_amount: amount,
  fixedPrice,
});

describe("catalogue", () => {
  it("reads plans under the misspelt 'varations' key, prices exact in kobo", async () => {
    const vt = fakeVtpass(() =>
      json({
        response_description: "000",
        content: {
          ServiceName: "MTN Data",
          serviceID: "mtn-data",
          convinience_fee: "0 %",
          varations: [
            variation("mtn-10mb-100", "N100 100MB - 24 hrs", "100.00"),
            variation("mtn-odd", "Odd", 0.1 + 0.2),
            variation("mtn-2gb", "N1,200 2GB - 30 days", 1200.5),
          ],
        },
      }),
    );
    const result = await client(vt.fetch).variations("mtn-data");
    expect(result).toEqual({
      ok: true,
      value: {
        service_id: "mtn-data",
        service_name: "MTN Data",
        plans: [
          {
            code: "mtn-10mb-100",
            name: "N100 100MB - 24 hrs",
            price_minor: 100_00,
            price: "100.00",
            fixed_price: true,
          },
          {
            code: "mtn-2gb",
            name: "N1,200 2GB - 30 days",
            price_minor: 1200_50,
            price: "1200.50",
            fixed_price: true,
          },
        ],
        skipped: 1, // 0.30000000000000004 is not a price
        truncated: false,
      },
    });
  });

  it("prefers 'variations' when both spellings are present, and drops repeated codes", async () => {
    const vt = fakeVtpass(() =>
      json({
        response_description: "000",
        content: {
          variations: [
            variation("a", "A", "50"),
            variation("a", "A again", "60"),
            variation("b", "B", "70", "No"),
          ],
          varations: [variation("z", "Z", "1")],
        },
      }),
    );
    const result = await client(vt.fetch).variations("glo-data");
    if (!result.ok) throw new Error("expected plans");
    expect(result.value.plans.map((p) => [p.code, p.price, p.fixed_price])).toEqual([
      ["a", "50.00", true],
      ["b", "70.00", false],
    ]);
    expect(result.value.skipped).toBe(1);
  });

  it("answers not_found for a product VTpass does not have", async () => {
    const vt = fakeVtpass(() =>
      json({ response_description: "000", content: { errors: "Invalid Service ID" } }),
    );
    expect(await client(vt.fetch).variations("nope")).toEqual({
      ok: false,
      kind: "not_found",
      message: "Invalid Service ID",
    });
  });

  it("reads minimium_amount (sic) and maximum_amount as strings or numbers", async () => {
    const vt = fakeVtpass(() =>
      json({
        response_description: "000",
        content: [
          {
            serviceID: "mtn",
            name: "MTN Airtime VTU",
            minimium_amount: "50",
            maximum_amount: 50000,
            product_type: "flexible",
          },
          {
            serviceID: "glo-data",
            name: "GLO Data",
            minimium_amount: 1,
            maximum_amount: "200000",
            product_type: "fix",
          },
          { serviceID: "airtel", name: "Airtel", minimum_amount: "100", maximum_amount: "abc" },
          { name: "no id" },
        ],
      }),
    );
    expect(await client(vt.fetch).services("airtime")).toEqual({
      ok: true,
      value: [
        {
          service_id: "mtn",
          name: "MTN Airtime VTU",
          min_minor: 50_00,
          max_minor: 50_000_00,
          product_type: "flexible",
        },
        {
          service_id: "glo-data",
          name: "GLO Data",
          min_minor: 1_00,
          max_minor: 200_000_00,
          product_type: "fix",
        },
        {
          service_id: "airtel",
          name: "Airtel",
          min_minor: 100_00,
          max_minor: null,
          product_type: null,
        },
      ],
    });
  });

  it("takes the narrower of our airtime bounds and VTpass's", () => {
    const service = (min_minor: number | null, max_minor: number | null): ServiceInfo => ({
      service_id: "mtn",
      name: null,
      min_minor,
      max_minor,
      product_type: null,
    });
    expect(airtimeBounds(service(1_00, 1_000_000_00))).toEqual({
      min_minor: AIRTIME_MIN_MINOR,
      max_minor: AIRTIME_MAX_MINOR,
    });
    expect(airtimeBounds(service(100_00, 10_000_00))).toEqual({
      min_minor: 100_00,
      max_minor: 10_000_00,
    });
    expect(airtimeBounds(null)).toEqual({
      min_minor: AIRTIME_MIN_MINOR,
      max_minor: AIRTIME_MAX_MINOR,
    });
    expect(airtimeBounds(service(AIRTIME_MAX_MINOR + 1, null))).toBeNull();
  });

  it("maps our networks to VTpass serviceIDs and back", () => {
    expect(serviceIdFor("airtime", "9mobile")).toBe("etisalat");
    expect(serviceIdFor("data", "airtel")).toBe("airtel-data");
    expect(productForServiceId("glo-data")).toEqual({ kind: "data", network: "glo" });
    expect(productForServiceId("dstv")).toBeNull();
  });

  it("reads our float from /api/balance", async () => {
    const vt = fakeVtpass(() =>
      json({ code: 1, contents: { number: "VT1", balance: 12345.678, code: 1 } }),
    );
    expect(await client(vt.fetch).balance()).toEqual({
      ok: true,
      value: { balance_minor: 12345_67 },
    });
    expect(vt.calls[0].path).toBe("/api/balance");
  });
});
