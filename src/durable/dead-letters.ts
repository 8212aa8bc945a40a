import { DurableObject } from "cloudflare:workers";
/** Dead letters: the inspectable store of poisoned queue messages (funding issue). */
export class DeadLetters extends DurableObject<Env> {}
