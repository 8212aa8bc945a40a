/** The shapes of the VTpass look-alike's catalogue entries, apart so the airtime and bill catalogues can share them without importing each other. */

export type SandboxPlan = { variation_code: string; name: string; price_minor: number };

export type SandboxService = {
  serviceID: string;
  name: string;
  identifier: "airtime" | "data" | "electricity-bill" | "tv-subscription";
  min_minor: number;
  max_minor: number;
  /** Illustrative commission in basis points of the face value; VTpass's real rates vary by agreement. */
  commission_bp: number;
  /**
   * Which key the plans are listed under. VTpass's own pages show the
   * misspelt `varations` for MTN and `variations` elsewhere; the look-alike
   * does the same so clients meet both.
   */
  variations_key?: "variations" | "varations";
  plans?: SandboxPlan[];
};
