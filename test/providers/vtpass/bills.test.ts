/**
 * Reading VTpass's bill answers: the token wherever a DisCo puts it (the
 * documented IKEDC and EKEDC samples, the PascalCase set a client models,
 * the requery's extras), and merchant-verify's customer or "wrong number".
 */
import { describe, expect, it } from "vitest";
import { cleanToken, parseVerifyAnswer, tokenOf } from "../../../src/providers/vtpass/bills";

describe("tokenOf", () => {
  it("reads the IKEDC sample's purchased_code, stripping the 'Token :' prefix, with its units", () => {
    expect(
      tokenOf({
        code: "000",
        purchased_code: "Token : 26362054405982757802",
        token: "Token : 26362054405982757802",
        units: "79.9 kWh",
        resetToken: "N/A",
      }),
    ).toEqual({ token: "26362054405982757802", units: "79.9 kWh" });
  });

  it("keeps the main token of the EKEDC sample's 'Token : ... Bonus Token : ...', with mainTokenUnits", () => {
    expect(
      tokenOf({
        purchased_code: "Token : 42167939781206619049 Bonus Token : 62881559799402440206",
        mainToken: "42167939781206619049",
        mainTokenUnits: 16666.666,
      }),
    ).toEqual({ token: "42167939781206619049", units: "16666.666 kWh" });
  });

  it("falls back to token, mainToken, Token and the requery's extras when purchased_code is empty", () => {
    expect(tokenOf({ purchased_code: "", Token: "1234-5678-9012-3456-7890" }).token).toBe(
      "12345678901234567890",
    );
    expect(
      tokenOf({
        purchased_code: "",
        content: { transactions: { status: "delivered", extras: "Token : 11112222333344445555" } },
      }).token,
    ).toBe("11112222333344445555");
  });

  it("finds nothing in a postpaid or TV answer, and never takes 'N/A' or a units text without a token", () => {
    expect(tokenOf({ purchased_code: "", customerName: "NP NGEMA", units: "5 kWh" })).toEqual({
      token: null,
      units: null,
    });
    expect(cleanToken("N/A")).toBeNull();
    expect(cleanToken("Token : ")).toBeNull();
    expect(cleanToken("x".repeat(200))).toBeNull();
  });
});

describe("parseVerifyAnswer", () => {
  it("reads the IKEDC meter sample", () => {
    const parsed = parseVerifyAnswer({
      code: "000",
      content: {
        Customer_Name: "TESTMETER1",
        Address: "ABULE EGBA BU ABULE",
        Meter_Number: "68100017372",
        Min_Purchase_Amount: "",
        Can_Vend: "yes",
        Meter_Type: "PREPAID",
        WrongBillersCode: false,
      },
    });
    expect(parsed).toEqual({
      ok: true,
      value: expect.objectContaining({
        customer_name: "TESTMETER1",
        address: "ABULE EGBA BU ABULE",
        account_status: "PREPAID",
        min_amount_minor: null,
        can_vend: true,
      }),
    });
  });

  it("reads a smartcard's bouquet, upper-case DUE_DATE and Renewal_Amount in kobo", () => {
    const parsed = parseVerifyAnswer({
      code: "000",
      content: {
        Customer_Name: "TEST METER",
        Status: "ACTIVE",
        DUE_DATE: "2025-02-06T00:00:00",
        Current_Bouquet: "DStv Compact N7900",
        Current_Bouquet_Code: "dstv79",
        Renewal_Amount: "7900.00",
      },
    });
    expect(parsed.ok && parsed.value).toMatchObject({
      due_date: "2025-02-06T00:00:00",
      current_bouquet_code: "dstv79",
      renewal_amount_minor: 7_900_00,
    });
  });

  it("treats code 000 with WrongBillersCode, an error or no name as a wrong number, and 012 as not verifiable", () => {
    for (const content of [
      { WrongBillersCode: true, Customer_Name: "X" },
      { error: "Meter number is invalid" },
      { Customer_Name: "" },
    ])
      expect(parseVerifyAnswer({ code: "000", content })).toMatchObject({
        ok: false,
        kind: "not_found",
      });
    expect(parseVerifyAnswer({ code: "012", content: { errors: "x" } })).toMatchObject({
      ok: false,
      kind: "not_found",
    });
    expect(parseVerifyAnswer({ code: "030" })).toMatchObject({ ok: false, kind: "malformed" });
  });
});
