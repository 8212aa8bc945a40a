import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NETWORKS,
  normalisePhone,
  networkPrefixes,
  phoneForReading,
  PORTED_NUMBER_NOTE,
  sandboxTestPhone,
  SANDBOX_TEST_PHONES,
  suggestNetwork,
  type Network,
  type PhoneRefusal,
} from "../../src/domain/phone";
import { PHONE_INPUT_MAX_CHARS } from "../../src/domain/limits";

const SEED = 20261127;

describe("normalisePhone: the forms people type", () => {
  const accepted: [string, string][] = [
    ["08031234567", "08031234567"],
    ["0803 123 4567", "08031234567"],
    ["0803-123-4567", "08031234567"],
    ["0803.123.4567", "08031234567"],
    ["(0803) 123-4567", "08031234567"],
    ["  0803 123 4567  ", "08031234567"],
    ["+2348031234567", "08031234567"],
    ["+234 803 123 4567", "08031234567"],
    ["+234-803-123-4567", "08031234567"],
    ["+234 (0) 803 123 4567", "08031234567"],
    ["+234(0)8031234567", "08031234567"],
    ["(+234) 803 123 4567", "08031234567"],
    ["(+234) (0) 803 123 4567", "08031234567"],
    ["2348031234567", "08031234567"],
    ["234 803 123 4567", "08031234567"],
    ["002348031234567", "08031234567"],
    ["00 234 803 123 4567", "08031234567"],
    ["8031234567", "08031234567"],
    ["0803\u00a0123\u00a04567", "08031234567"],
    ["07025123456", "07025123456"],
    ["09161234567", "09161234567"],
    ["0701 234 5678", "07012345678"],
    ["0911-000-0000", "09110000000"],
  ];
  it.each(accepted)("reads %j as %s", (raw, local) => {
    const result = normalisePhone(raw);
    expect(result).toEqual({ ok: true, phone: { local, e164: `+234${local.slice(1)}` } });
  });

  const refused: [string, PhoneRefusal][] = [
    ["", "empty"],
    ["   ", "empty"],
    ["()", "empty"],
    ["0803123456a", "invalid_characters"],
    ["O8031234567", "invalid_characters"], // letter O for zero
    ["zero eight oh three", "invalid_characters"],
    ["+234 803 123 4567 ext 2", "invalid_characters"],
    ["0803+1234567", "invalid_characters"],
    ["++2348031234567", "invalid_characters"],
    ["٠٨٠٣١٢٣٤٥٦٧", "invalid_characters"], // Arabic-Indic digits are not converted
    ["080312345", "too_short"], // 9 digits
    ["803123456", "too_short"],
    ["0803123456", "too_short"],
    ["080312345678", "too_long"],
    ["23408031234567", "too_long"], // 14 digits, trunk zero not bracketed
    ["08031234567123", "too_long"],
    ["+23480312345", "too_short"],
    ["+2348031234567890", "too_long"],
    ["+447911123456", "foreign_country_code"],
    ["+1 202 555 0123", "foreign_country_code"],
    ["00447911123456", "foreign_country_code"],
    ["+233 24 123 4567", "foreign_country_code"], // Ghana
    ["08001234567", "not_mobile"], // toll-free
    ["07001234567", "not_mobile"], // non-geographic
    ["02012345678", "not_mobile"], // fixed line
    ["06031234567", "not_mobile"],
    ["1234567890", "not_mobile"],
    ["x".repeat(PHONE_INPUT_MAX_CHARS + 1), "too_long_input"],
  ];
  it.each(refused)("refuses %j as %s, with a sentence for the user", (raw, reason) => {
    const result = normalisePhone(raw);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.message.length).toBeGreaterThan(10);
  });

  it("refuses the 12-digit VTpass sandbox numbers: they are not Nigerian numbers", () => {
    for (const phone of ["201000000000", "500000000000", "400000000000", "300000000000"]) {
      expect(normalisePhone(phone).ok, phone).toBe(false);
    }
  });
});

describe("normalisePhone: one canonical string per number (property)", () => {
  // A national number built from a real prefix, so every generated value is a valid mobile.
  const allPrefixes = NETWORKS.flatMap((n) => networkPrefixes(n));
  const national = fc
    .tuple(fc.constantFrom(...allPrefixes), fc.stringMatching(/^\d{7}$/))
    .map(([prefix, rest]) => (prefix + rest).slice(1, 11).padEnd(10, "0"));
  const separator = fc.constantFrom("", " ", "-", ".", "  ");
  const written = fc
    .tuple(national, separator, fc.integer({ min: 0, max: 7 }))
    .map(([nsn, sep, form]) => {
      const [a, b, c] = [nsn.slice(0, 3), nsn.slice(3, 6), nsn.slice(6)];
      const grouped = [a, b, c].join(sep);
      const forms = [
        `0${grouped}`,
        `(0${a})${sep}${b}${sep}${c}`,
        `+234${sep}${grouped}`,
        `234${sep}${grouped}`,
        `00234${sep}${grouped}`,
        `+234 (0) ${grouped}`,
        grouped,
        ` 0${grouped} `,
      ];
      return { nsn, text: forms[form] };
    });

  it("gives the same canonical local number for every written form", () => {
    fc.assert(
      fc.property(written, ({ nsn, text }) => {
        const result = normalisePhone(text);
        expect(result).toEqual({ ok: true, phone: { local: `0${nsn}`, e164: `+234${nsn}` } });
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it("treats the canonical forms as fixed points", () => {
    fc.assert(
      fc.property(written, ({ text }) => {
        const first = normalisePhone(text);
        if (!first.ok) throw new Error(`generated an invalid number: ${text}`);
        expect(normalisePhone(first.phone.local)).toEqual(first);
        expect(normalisePhone(first.phone.e164)).toEqual(first);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("never accepts a string that has a letter in it", () => {
    fc.assert(
      fc.property(written, fc.constantFrom(..."abcxyzO"), fc.nat(), ({ text }, letter, at) => {
        const i = at % (text.length + 1);
        expect(normalisePhone(text.slice(0, i) + letter + text.slice(i)).ok).toBe(false);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe("phoneForReading: the number as its owner wrote it, grouped", () => {
  const cases: [string | null, string, string][] = [
    ["08031234567", "08031234567", "0803 123 4567"],
    ["0803-123-4567", "08031234567", "0803 123 4567"],
    ["(0803) 123-4567", "08031234567", "0803 123 4567"],
    [" 0803.123.4567 ", "08031234567", "0803 123 4567"],
    ["+2348031234567", "08031234567", "+234 803 123 4567"],
    ["+234 (0) 803 123 4567", "08031234567", "+234 803 123 4567"],
    ["(+234) 803 123 4567", "08031234567", "+234 803 123 4567"],
    ["2348031234567", "08031234567", "234 803 123 4567"],
    ["00 234 803 123 4567", "08031234567", "00234 803 123 4567"],
    ["8031234567", "08031234567", "803 123 4567"],
    ["07025123456", "07025123456", "0702 512 3456"],
    // Nothing stored (a purchase from before the entry was kept): the canonical number, grouped.
    [null, "08031234567", "0803 123 4567"],
    // An entry that does not end in the number sent is never shown: the canonical number is.
    ["08039999999", "08031234567", "0803 123 4567"],
    ["+234 803 123 4567 <b>", "08031234567", "0803 123 4567"],
    [`${"x".repeat(PHONE_INPUT_MAX_CHARS + 1)}8031234567`, "08031234567", "0803 123 4567"],
    // VTpass's sandbox numbers: the 11-digit one groups as a number, the 12-digit ones are shown as they are.
    ["0801 111 1111", "08011111111", "0801 111 1111"],
    ["201000000000", "201000000000", "201000000000"],
  ];
  it.each(cases)("shows %j (sent as %s) as %j", (written, local, shown) => {
    expect(phoneForReading(written, local)).toBe(shown);
  });

  it("keeps the written prefix, groups the rest 3-3-4, and reads back as the number that was sent (property)", () => {
    const allPrefixes = NETWORKS.flatMap((n) => networkPrefixes(n));
    const national = fc
      .tuple(fc.constantFrom(...allPrefixes), fc.stringMatching(/^\d{7}$/))
      .map(([prefix, rest]) => (prefix + rest).slice(1, 11));
    const lead = fc.constantFrom("0", "+234", "234", "00234", "", "+234 (0) ", "(+234) ");
    const separator = fc.constantFrom("", " ", "-", ".");
    fc.assert(
      fc.property(national, lead, separator, (nsn, prefix, sep) => {
        const text = `${prefix}${nsn.slice(0, 3)}${sep}${nsn.slice(3, 6)}${sep}${nsn.slice(6)}`;
        const local = `0${nsn}`;
        const shown = phoneForReading(text, local);
        expect(shown).toMatch(/^(?:\+234 |00234 |234 |0)?\d{3} \d{3} \d{4}$/);
        expect(shown.endsWith(`${nsn.slice(0, 3)} ${nsn.slice(3, 6)} ${nsn.slice(6)}`)).toBe(true);
        expect(normalisePhone(shown)).toMatchObject({ ok: true, phone: { local } });
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

describe("suggestNetwork", () => {
  const cases: [string, Network | null, string][] = [
    ["08031234567", "mtn", "prefix"],
    ["07025123456", "mtn", "prefix"],
    ["07026123456", "mtn", "prefix"],
    ["07041234567", "mtn", "prefix"],
    ["09161234567", "mtn", "prefix"],
    ["08021234567", "airtel", "prefix"],
    ["09121234567", "airtel", "prefix"],
    ["07011234567", "airtel", "prefix"],
    ["08051234567", "glo", "prefix"],
    ["09151234567", "glo", "prefix"],
    ["07071234567", "glo", "disputed_prefix"],
    ["08091234567", "9mobile", "prefix"],
    ["09091234567", "9mobile", "prefix"],
    ["07021234567", null, "unknown_prefix"], // 0702 outside 07025/07026
    ["08041234567", null, "unknown_prefix"],
    ["08011111111", null, "unknown_prefix"], // VTpass's sandbox number
  ];
  it.each(cases)(
    "suggests %s -> %s (%s), always with the portability note",
    (local, network, confidence) => {
      const suggestion = suggestNetwork(local);
      expect(suggestion).toMatchObject({ network, confidence, note: PORTED_NUMBER_NOTE });
    },
  );

  it("matches the 5-digit prefixes before the 4-digit ones and reports which matched", () => {
    expect(suggestNetwork("07025999999").prefix).toBe("07025");
    expect(suggestNetwork("08039999999").prefix).toBe("0803");
  });

  it("has each prefix under one network only", () => {
    const seen = new Map<string, Network>();
    for (const network of NETWORKS) {
      for (const prefix of networkPrefixes(network)) {
        expect(seen.get(prefix), prefix).toBeUndefined();
        seen.set(prefix, network);
        // Every listed prefix is inside the mobile ranges normalisePhone accepts.
        expect(normalisePhone(prefix.padEnd(11, "1")).ok, prefix).toBe(true);
      }
    }
  });

  it("says a ported number may be on another network", () => {
    expect(PORTED_NUMBER_NOTE).toMatch(/prefix/);
    expect(PORTED_NUMBER_NOTE).toMatch(/network/);
  });

  it("refuses a number that was not normalised first (a programmer error)", () => {
    for (const bad of ["+2348031234567", "0803 123 4567", "8031234567", "08001234567"]) {
      expect(() => suggestNetwork(bad), bad).toThrow();
    }
  });
});

describe("sandboxTestPhone", () => {
  it("recognises exactly VTpass's five test numbers, with their scenario", () => {
    expect(Object.keys(SANDBOX_TEST_PHONES).sort()).toEqual([
      "08011111111",
      "201000000000",
      "300000000000",
      "400000000000",
      "500000000000",
    ]);
    expect(sandboxTestPhone("08011111111")).toEqual({
      phone: "08011111111",
      scenario: "delivered",
    });
    expect(sandboxTestPhone("201000000000")).toEqual({
      phone: "201000000000",
      scenario: "pending",
    });
    expect(sandboxTestPhone("500000000000")).toEqual({
      phone: "500000000000",
      scenario: "unexpected_response",
    });
    expect(sandboxTestPhone("400000000000")).toEqual({
      phone: "400000000000",
      scenario: "no_response",
    });
    expect(sandboxTestPhone("300000000000")).toEqual({
      phone: "300000000000",
      scenario: "timeout",
    });
    expect(sandboxTestPhone(" 0801-111-1111 ")).toEqual({
      phone: "08011111111",
      scenario: "delivered",
    });
  });

  it("does not turn other numbers into test numbers", () => {
    for (const raw of [
      "+2348011111111",
      "2348011111111",
      "08031234567",
      "2010000000000",
      "20100000000",
      "",
      "toString",
      "__proto__",
    ]) {
      expect(sandboxTestPhone(raw), raw).toBeNull();
    }
  });
});
