/**
 * Inputs the fuzzer found a product bug with, kept as fixed examples: they run
 * first in every run, under the same properties as the generated ones.
 */
import type { Spec } from "./requests";
import type { World } from "./world";

export const REGRESSIONS: ((world: World) => Spec)[] = [];
