/**
 * Development-only provider sandbox, mounted at /__sandbox (never in production).
 */
import { Hono } from "hono";
import type { AppEnv } from "../lib/http";

export const SANDBOX_BASE = "/__sandbox";
export const sandboxRoutes = new Hono<AppEnv>();
