/**
 * Production's stand-ins for the look-alikes' Durable Object classes.
 *
 * Why they exist: wrangler.jsonc's migrations name FlutterwaveSandbox,
 * VtpassSandbox (v1 to v3) and the benchmarks' BenchBaseline (v7), and a deploy is refused when a class a migration
 * names is not exported by the script. Deleting the classes would take a
 * `deleted_classes` migration, which also deletes their storage in every
 * environment, development's included. So production exports these empty
 * classes instead of the look-alikes' code: no binding reaches them
 * (env.production binds neither), and if anything ever did, every request is
 * refused and nothing is stored.
 */
import { DurableObject } from "cloudflare:workers";

abstract class Refusing extends DurableObject<Env> {
  override async fetch(_request: Request): Promise<Response> {
    return new Response(null, { status: 404 });
  }
}

export class FlutterwaveSandbox extends Refusing {}
export class VtpassSandbox extends Refusing {}
export class BenchBaseline extends Refusing {}
