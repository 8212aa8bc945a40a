/**
 * The VTpass look-alike's bill services: every electricity distribution
 * company VTpass lists (providers reference, 14.2) and the four cable TV
 * services with a handful of their documented variations (15.1). Pure data.
 *
 * The DisCos' minimum and maximum amounts are NOT CONFIRMED anywhere in
 * VTpass's documentation (14.8): the look-alike publishes ₦1,000 to ₦500,000
 * through `services?identifier=electricity-bill`, as VTpass publishes its own
 * per service, so a client must read them rather than assume them.
 */
import type { SandboxService } from "./service";

const naira = (n: number) => n * 100;

const DISCOS: readonly [string, string][] = [
  ["ikeja-electric", "Ikeja Electric Payment - IKEDC"],
  ["eko-electric", "Eko Electric Payment - EKEDC"],
  ["abuja-electric", "Abuja Electricity Distribution Company- AEDC"],
  ["kano-electric", "KEDCO - Kano Electric"],
  ["portharcourt-electric", "PHED - Port Harcourt Electric"],
  ["jos-electric", "Jos Electric - JED"],
  ["kaduna-electric", "Kaduna Electric - KAEDCO"],
  ["enugu-electric", "Enugu Electric - EEDC"],
  ["ibadan-electric", "IBEDC - Ibadan Electricity Distribution Company"],
  ["benin-electric", "Benin Electricity - BEDC"],
  ["aba-electric", "Aba Electric Payment - ABEDC"],
  ["yola-electric", "Yola Electric Disco Payment - YEDC"],
];

/** Electricity's minimum in the look-alike (VTpass's own is NOT CONFIRMED; see above). */
export const SANDBOX_ELECTRICITY_MIN_MINOR = naira(1_000);
export const SANDBOX_ELECTRICITY_MAX_MINOR = naira(500_000);

const ELECTRICITY: SandboxService[] = DISCOS.map(([serviceID, name]) => ({
  serviceID,
  name,
  identifier: "electricity-bill",
  min_minor: SANDBOX_ELECTRICITY_MIN_MINOR,
  max_minor: SANDBOX_ELECTRICITY_MAX_MINOR,
  commission_bp: 150, // the IKEDC sample's 1.50%
}));

const TV: SandboxService[] = [
  {
    serviceID: "dstv",
    name: "DSTV Subscription",
    identifier: "tv-subscription",
    min_minor: naira(1),
    max_minor: naira(1_000_000),
    commission_bp: 150,
    plans: [
      { variation_code: "dstv-padi", name: "DStv Padi N1,850", price_minor: naira(1850) },
      { variation_code: "dstv-yanga", name: "DStv Yanga N2,565", price_minor: naira(2565) },
      { variation_code: "dstv-confam", name: "Dstv Confam N4,615", price_minor: naira(4615) },
      { variation_code: "dstv79", name: "DStv Compact N7900", price_minor: naira(7900) },
      { variation_code: "dstv3", name: "DStv Premium N18,400", price_minor: naira(18400) },
    ],
  },
  {
    serviceID: "gotv",
    name: "Gotv Payment",
    identifier: "tv-subscription",
    min_minor: naira(1),
    max_minor: naira(1_000_000),
    commission_bp: 150,
    // Older GOTV pages list only the misspelt key: clients meet it here too.
    variations_key: "varations",
    plans: [
      { variation_code: "gotv-lite", name: "GOtv Lite N410", price_minor: naira(410) },
      { variation_code: "gotv-jinja", name: "GOtv Jinja N1,640", price_minor: naira(1640) },
      { variation_code: "gotv-jolli", name: "GOtv Jolli N2,460", price_minor: naira(2460) },
      { variation_code: "gotv-max", name: "GOtv Max N3,600", price_minor: naira(3600) },
    ],
  },
  {
    serviceID: "startimes",
    name: "Startimes Subscription",
    identifier: "tv-subscription",
    min_minor: naira(1),
    max_minor: naira(1_000_000),
    commission_bp: 250,
    plans: [
      { variation_code: "nova", name: "Nova - 900 Naira - 1 Month", price_minor: naira(900) },
      { variation_code: "basic", name: "Basic - 1,700 Naira - 1 Month", price_minor: naira(1700) },
      {
        variation_code: "classic",
        name: "Classic - 2,500 Naira - 1 Month",
        price_minor: naira(2500),
      },
    ],
  },
  {
    serviceID: "showmax",
    name: "ShowMax",
    identifier: "tv-subscription",
    min_minor: naira(1),
    max_minor: naira(1_000_000),
    commission_bp: 100,
    plans: [
      { variation_code: "full_3", name: "Full - N8,400 - 3 Months", price_minor: naira(8400) },
      {
        variation_code: "mobile_only_3",
        name: "Mobile Only - N3,800 - 3 Months",
        price_minor: naira(3800),
      },
    ],
  },
];

export const BILL_SERVICES: readonly SandboxService[] = [...ELECTRICITY, ...TV];
