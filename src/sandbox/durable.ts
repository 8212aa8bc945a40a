import { DurableObject } from "cloudflare:workers";
/** Provider sandbox state (funding issue). */
export class ProviderSandbox extends DurableObject<Env> {}
