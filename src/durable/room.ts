import { DurableObject } from "cloudflare:workers";
/** Room: one Durable Object per tx_ref (realtime issue). */
export class Room extends DurableObject<Env> {}
