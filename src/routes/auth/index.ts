import { createRoute } from "@hono/zod-openapi";
import {
  bearerSecurity,
  bodyContent,
  formOrJson,
  limitByIp,
  newRouter,
  problems,
  requireUser,
  userIdOf,
} from "../../lib/http";
import { login, me, register } from "../../services/accounts";
import { LoginBody, RegisterBody, TokenResponse, UserResponse } from "./schemas";

export const authRoutes = newRouter();

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/auth/register",
    tags: ["auth"],
    summary: "Create a user and an empty NGN wallet",
    middleware: [limitByIp((env) => env.REGISTER_IP_LIMITER, "register")] as const,
    request: {
      body: bodyContent(
        RegisterBody,
        "Email, password and an optional full name, as a form or JSON.",
      ),
    },
    responses: {
      201: { description: "Created.", content: { "application/json": { schema: UserResponse } } },
      ...problems(400, 409, 413, 415, 422, 429, 503),
    },
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    return c.json(await register(c, body), 201);
  },
);

authRoutes.openapi(
  createRoute({
    method: "post",
    path: "/auth/login",
    tags: ["auth"],
    summary: "OAuth2 password flow: exchange email and password for a bearer token",
    middleware: [limitByIp((env) => env.LOGIN_IP_LIMITER, "login")] as const,
    request: {
      body: bodyContent(LoginBody, "OAuth2 password form (`username` is the email) or JSON."),
    },
    responses: {
      200: {
        description: "A bearer token.",
        content: { "application/json": { schema: TokenResponse } },
      },
      ...problems(400, 401, 413, 415, 422, 429, 503),
    },
  }),
  async (c) => {
    const body = formOrJson(c, {
      form: () => c.req.valid("form"),
      json: () => c.req.valid("json"),
    });
    const token = await login(c, body);
    c.header("cache-control", "no-store");
    return c.json(token, 200);
  },
);

authRoutes.openapi(
  createRoute({
    method: "get",
    path: "/auth/me",
    tags: ["auth"],
    summary: "The current user",
    security: bearerSecurity,
    middleware: [requireUser] as const,
    responses: {
      200: { description: "The user.", content: { "application/json": { schema: UserResponse } } },
      ...problems(401),
    },
  }),
  async (c) => c.json(await me(c, userIdOf(c)), 200),
);
