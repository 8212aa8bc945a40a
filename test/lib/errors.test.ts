import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sentences } from "../../src/lib/errors";
import { VTPASS_CODES } from "../../src/providers/vtpass/classify";

describe("sentences: problem details read with one stop between sentences", () => {
  const cases: [readonly (string | null | undefined)[], string][] = [
    [
      ["wait 30 seconds before repeating it.", "Nothing was taken from your wallet."],
      "wait 30 seconds before repeating it. Nothing was taken from your wallet.",
    ],
    [
      ["Payout was made to a blacklisted account number", "Nothing was taken."],
      "Payout was made to a blacklisted account number. Nothing was taken.",
    ],
    [["Is it open?", "Yes!"], "Is it open? Yes!"],
    [['It said "stop."', "Then"], 'It said "stop." Then.'],
    [["(see above.)", "More"], "(see above.) More."],
    [["Wait...", "ok"], "Wait... ok."],
    [["Doubled..", "single"], "Doubled. single."],
    [["  padded  ", "\tends with a colon:  "], "padded. ends with a colon."],
    [["trailing; ", "trailing,"], "trailing. trailing."],
    [["", null, undefined, "   ", "only"], "only."],
    [[], ""],
  ];
  it.each(cases)("joins %j as %j", (parts, joined) => {
    expect(sentences(...parts)).toBe(joined);
  });

  it("never doubles a stop, whatever each part ends with (property)", () => {
    const ending = fc.constantFrom("", ".", "..", "!", "?", " ", ":", ";", ",", ". ", "...");
    const part = fc
      .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}[A-Za-z]$/), ending)
      .map(([words, end]) => words + end);
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const joined = sentences(...parts);
        // Only an ellipsis a part brought may hold more than one stop in a row.
        expect(joined.replace(/\.\.\./g, "")).not.toMatch(/\.\./);
        expect(joined).toMatch(/[.!?]$/);
        for (const p of parts) expect(joined).toContain(p.replace(/[\s.,;:!?]+$/, ""));
      }),
      { seed: 20261127, numRuns: 500 },
    );
  });

  it("gives every VTpass refusal, in the purchase route's words, one stop before ours", () => {
    for (const [code, { message }] of Object.entries(VTPASS_CODES)) {
      const detail = sentences(
        sentences(`The airtime purchase was refused: ${message}`),
        "Nothing was taken from your wallet.",
      );
      expect(detail, code).not.toMatch(/\.\./);
      expect(detail, code).toMatch(/[^.]\. Nothing was taken from your wallet\.$/);
    }
  });
});
