/**
 * Nigerian mobile numbers: one canonical form, a network suggestion, and the
 * provider's sandbox test numbers kept apart from real ones. Pure: no
 * Cloudflare imports, no I/O.
 *
 * Canonical form is the local 11-digit `0XXXXXXXXXX`, because that is what
 * VTpass takes in `phone` and `billersCode`; E.164 (`+234XXXXXXXXXX`) is
 * offered beside it for display and for other providers. Airtime sent to a
 * wrong number cannot be taken back, so anything ambiguous is refused with a
 * named reason rather than guessed at.
 *
 * Accepted forms (separators: spaces, dashes, dots, parentheses):
 *   0803 123 4567   (0803) 123-4567   +234 803 123 4567   (+234) 803 123 4567   234-803-123-4567
 *   00234 803 123 4567   +234 (0) 803 123 4567   8031234567 (the 10-digit
 *   national number alone, as typed next to a "+234" picker)
 */
import { PHONE_INPUT_MAX_CHARS } from "./limits";

// ---- Canonical form -----------------------------------------------------------

export const COUNTRY_CODE = "234";
/** Digits after the country code (the national significant number). */
export const NATIONAL_DIGITS = 10;
export const LOCAL_DIGITS = 11;

export type Phone = {
  /** `08031234567`: what VTpass takes. */
  local: string;
  /** `+2348031234567` */
  e164: string;
};

/** Why a string is not a Nigerian mobile number. Stable names: routes put them in `errors[].code`. */
export const PHONE_REFUSALS = {
  empty: "Enter a phone number.",
  too_long_input: "That is too long to be a phone number.",
  invalid_characters:
    "A phone number has only digits, spaces, dashes, dots, brackets and a leading +.",
  foreign_country_code: "Only Nigerian numbers (+234) can be topped up.",
  too_short: "A Nigerian mobile number has 11 digits, like 0803 123 4567.",
  too_long: "A Nigerian mobile number has 11 digits, like 0803 123 4567.",
  not_mobile:
    "That is not a Nigerian mobile number (they start 070, 071, 072, 080, 081, 090 or 091).",
} as const;
export type PhoneRefusal = keyof typeof PHONE_REFUSALS;

export type PhoneResult =
  | { ok: true; phone: Phone }
  | { ok: false; reason: PhoneRefusal; message: string };

/** Separators people type or paste; removed before the digits are read. */
const SEPARATORS = /[\s\-.()\u00a0]/g;
/** Everything a phone number may contain. ASCII digits only: "٠٨٠٣…" is refused, not converted. */
const ALLOWED = /^[0-9+\s\-.()\u00a0]+$/;
/**
 * Mobile ranges of the national numbering plan, as libphonenumber's metadata
 * for NG has them (070x-072x, 080x-081x, 090x-091x, less the blocks that are
 * not mobile). This keeps out toll-free 0800, the non-geographic 0700 range
 * and the 020 fixed lines, which look the same length.
 */
const MOBILE_NATIONAL =
  /^(?:(?:702[0-24-9]|819[01])\d{6}|(?:7(?:0[13-9]|[12]\d)|8(?:0[1-9]|1[0-8])|9(?:0[1-9]|1[0-6]))\d{7})$/;
/** `+234 (0) 803…`: the trunk zero written in brackets after the country code. */
const BRACKETED_TRUNK_ZERO = /^\(?\s*(?:\+|00)\s*234\s*\)?[\s\-.]*\(\s*0\s*\)/;

function refuse(reason: PhoneRefusal): PhoneResult {
  return { ok: false, reason, message: PHONE_REFUSALS[reason] };
}

function fromNational(national: string): PhoneResult {
  if (national.length < NATIONAL_DIGITS) return refuse("too_short");
  if (national.length > NATIONAL_DIGITS) return refuse("too_long");
  if (!MOBILE_NATIONAL.test(national)) return refuse("not_mobile");
  return { ok: true, phone: { local: `0${national}`, e164: `+${COUNTRY_CODE}${national}` } };
}

/**
 * Any common written form -> the canonical pair, or a named refusal.
 * `normalisePhone(x.local)` and `normalisePhone(x.e164)` give `x` back.
 */
export function normalisePhone(raw: string): PhoneResult {
  if (raw.length > PHONE_INPUT_MAX_CHARS) return refuse("too_long_input");
  const text = raw.trim();
  if (text === "") return refuse("empty");
  if (!ALLOWED.test(text)) return refuse("invalid_characters");
  // A bracketed trunk zero is dropped before the digits are joined, so that
  // "+234 (0) 803…" is read as +234 803…; an unbracketed "2340803…" (14
  // digits) stays refused, since it may as well be a typo.
  const trunk_dropped = BRACKETED_TRUNK_ZERO.test(text) ? text.replace(/\(\s*0\s*\)/, "") : text;
  const compact = trunk_dropped.replace(SEPARATORS, "");
  if (compact === "") return refuse("empty");
  // One plus at most, and only in front ("(+234) 803…" is fine, "0803+123…" is not).
  if (!/^\+?\d+$/.test(compact)) return refuse("invalid_characters");
  const plus = compact.startsWith("+");
  const digits = plus ? compact.slice(1) : compact;

  if (plus || digits.startsWith("00")) {
    const after_prefix = plus ? digits : digits.slice(2);
    if (!after_prefix.startsWith(COUNTRY_CODE)) return refuse("foreign_country_code");
    return fromNational(after_prefix.slice(COUNTRY_CODE.length));
  }
  if (digits.startsWith("0")) {
    if (digits.length < LOCAL_DIGITS) return refuse("too_short");
    if (digits.length > LOCAL_DIGITS) return refuse("too_long");
    return fromNational(digits.slice(1));
  }
  // "234…" without a plus: read as the country code only when the length says
  // so (234 + 10 digits); otherwise it is a wrong length, not a foreign number.
  if (digits.startsWith(COUNTRY_CODE) && digits.length > NATIONAL_DIGITS) {
    return fromNational(digits.slice(COUNTRY_CODE.length));
  }
  return fromNational(digits);
}

/**
 * A number as its owner wrote it, grouped for reading on a receipt or status
 * page: "+2348031234567" -> "+234 803 123 4567", "0803-123-4567" ->
 * "0803 123 4567", "8031234567" -> "803 123 4567". The prefix the user typed
 * (0, +234, 00234, 234 or none) is kept, so they recognise their own entry;
 * the digits are always the canonical number's (`local`, what was sent), so a
 * stored entry that does not end in them shows the canonical form instead.
 * A `local` that is not a mobile number (a sandbox test number) is shown as is.
 */
export function phoneForReading(written: string | null | undefined, local: string): string {
  if (!/^0\d{10}$/.test(local)) return local;
  const national = local.slice(1);
  const grouped = `${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6)}`;
  const text = written && written.length <= PHONE_INPUT_MAX_CHARS ? written.trim() : "";
  const compact = (
    BRACKETED_TRUNK_ZERO.test(text) ? text.replace(/\(\s*0\s*\)/, "") : text
  ).replace(SEPARATORS, "");
  const prefix = compact.endsWith(national)
    ? compact.slice(0, compact.length - national.length)
    : null;
  switch (prefix) {
    case "+234":
    case "00234":
    case "234":
      return `${prefix} ${grouped}`;
    case "":
      return grouped;
    default:
      return `0${grouped}`;
  }
}

// ---- Network suggestion --------------------------------------------------------

export const NETWORKS = ["mtn", "airtel", "glo", "9mobile"] as const;
export type Network = (typeof NETWORKS)[number];
/** How each network writes its own name, for pages people read. */
export const NETWORK_NAMES: Readonly<Record<Network, string>> = {
  mtn: "MTN",
  airtel: "Airtel",
  glo: "Glo",
  "9mobile": "9mobile",
};

/**
 * Said next to every suggestion: Nigeria has had mobile number portability
 * since 2013 (NCC), so the prefix is a hint and the user confirms the network.
 */
export const PORTED_NUMBER_NOTE =
  "This network is a guess from the number's prefix; a number moved to another network keeps its prefix, so check it before you pay.";

/**
 * Prefix tables (local form). Sources: libphonenumber's carrier data for +234
 * and newer secondary lists; where they differ, see the notes.
 * - 0704, 07025, 07026 were Visafone's; MTN bought Visafone in 2016.
 * - 0707 is disputed between lists. It is Glo here because libphonenumber's
 *   carrier file (the one machine-maintained source) says Glo, and the
 *   suggestion is marked `disputed` so the user is asked to confirm it.
 * - 0702 (other than 07025/07026), 0804, 0709 and the newer 071x/072x
 *   blocks are not in these lists: no suggestion (the user picks).
 */
const PREFIXES: Record<Network, readonly string[]> = {
  mtn: [
    "0703",
    "0704",
    "0706",
    "07025",
    "07026",
    "0803",
    "0806",
    "0810",
    "0813",
    "0814",
    "0816",
    "0903",
    "0906",
    "0913",
    "0916",
  ],
  airtel: ["0701", "0708", "0802", "0808", "0812", "0901", "0902", "0904", "0907", "0911", "0912"],
  glo: ["0705", "0707", "0805", "0807", "0811", "0815", "0905", "0915"],
  "9mobile": ["0809", "0817", "0818", "0908", "0909"],
};
const DISPUTED_PREFIXES: ReadonlySet<string> = new Set(["0707"]);

/** Longest prefix first, so 07025 is found before any 4-digit rule could match. */
const PREFIX_TABLE: readonly { prefix: string; network: Network }[] = NETWORKS.flatMap((network) =>
  PREFIXES[network].map((prefix) => ({ prefix, network })),
).sort((a, b) => b.prefix.length - a.prefix.length);

export type NetworkConfidence = "prefix" | "disputed_prefix" | "unknown_prefix";
export type NetworkSuggestion = {
  network: Network | null;
  confidence: NetworkConfidence;
  /** The prefix that matched, e.g. "0803" or "07025"; null when none did. */
  prefix: string | null;
  note: string;
};

/** Suggest the network for a canonical local number (from `normalisePhone`). */
export function suggestNetwork(local: string): NetworkSuggestion {
  if (!/^0\d{10}$/.test(local) || !MOBILE_NATIONAL.test(local.slice(1)))
    throw new Error("suggestNetwork needs a canonical local number; call normalisePhone first");
  const match = PREFIX_TABLE.find((row) => local.startsWith(row.prefix));
  if (!match)
    return { network: null, confidence: "unknown_prefix", prefix: null, note: PORTED_NUMBER_NOTE };
  const confidence: NetworkConfidence = DISPUTED_PREFIXES.has(match.prefix)
    ? "disputed_prefix"
    : "prefix";
  return { network: match.network, confidence, prefix: match.prefix, note: PORTED_NUMBER_NOTE };
}

/** The prefix table, for the tests and for a client-side hint list. */
export function networkPrefixes(network: Network): readonly string[] {
  return PREFIXES[network];
}

// ---- Provider sandbox test numbers -----------------------------------------------

/**
 * VTpass's sandbox answers by recipient number. Four of them are 12 digits
 * and `normalisePhone` refuses them; `08011111111` falls in the 0801 mobile
 * range, so it normalises but matches no network. The purchase route accepts
 * them through this separate check, made before `normalisePhone` and only
 * when the sandbox is on. Production must never call this.
 */
export const SANDBOX_TEST_PHONES = {
  "08011111111": "delivered",
  "201000000000": "pending",
  "500000000000": "unexpected_response",
  "400000000000": "no_response",
  "300000000000": "timeout",
} as const;
export type SandboxTestPhone = keyof typeof SANDBOX_TEST_PHONES;
export type SandboxScenario = (typeof SANDBOX_TEST_PHONES)[SandboxTestPhone];

/**
 * The exact test number (spaces and dashes removed), or null. No other
 * rewriting: "+2348011111111" is not the test number, and a real-looking
 * number never becomes one.
 */
export function sandboxTestPhone(
  raw: string,
): { phone: SandboxTestPhone; scenario: SandboxScenario } | null {
  if (raw.length > PHONE_INPUT_MAX_CHARS) return null;
  const compact = raw.trim().replace(/[\s-]/g, "");
  if (!Object.hasOwn(SANDBOX_TEST_PHONES, compact)) return null;
  const phone = compact as SandboxTestPhone;
  return { phone, scenario: SANDBOX_TEST_PHONES[phone] };
}
