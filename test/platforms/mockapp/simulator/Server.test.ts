/** The MockApp simulator answers as the tutorial's FastAPI server: docs pages, 422 detail lists, 404 and 405 bodies. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startMockAppSimulator } from "../../../../src/platforms/mockapp/simulator/Server.js"

const call = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { ...init, headers: { authorization: "Bearer valid-token", "content-type": "application/json", ...init.headers } })
    const text = await response.text()
    return { status: response.status, type: response.headers.get("content-type") ?? "", allow: response.headers.get("allow"), text }
  })

describe("MockApp simulator (FastAPI's shapes)", () => {
  it.scoped("serves /docs, /redoc and /openapi.json; 422, 404 and 405 answer FastAPI's bodies", () =>
    Effect.gen(function*() {
      const sim = yield* startMockAppSimulator({ users: 2 })
      const [docs, redoc, openapi] = yield* Effect.all([call(`${sim.url}/docs`), call(`${sim.url}/redoc`), call(`${sim.url}/openapi.json`)])
      expect(docs.status).toBe(200)
      expect(redoc).toMatchObject({ status: 200, type: expect.stringContaining("text/html") })
      expect(redoc.text).toContain(`spec-url="/openapi.json"`)
      expect(JSON.parse(openapi.text)).toMatchObject({ paths: { "/api/users": {} } })

      const invalidBody = yield* call(`${sim.url}/api/users`, { method: "POST", body: JSON.stringify({ email: 5, name: "x" }) })
      expect(invalidBody.status).toBe(422)
      expect(JSON.parse(invalidBody.text)).toEqual({ detail: [{ loc: ["body", "email"], msg: "Expected string, actual 5", type: "type_error" }] })
      const invalidQuery = yield* call(`${sim.url}/api/users?limit=abc`)
      expect(invalidQuery.status).toBe(422)
      const detail = (JSON.parse(invalidQuery.text) as { detail: ReadonlyArray<{ loc: ReadonlyArray<string> }> }).detail
      expect(detail[0]?.loc).toEqual(["query", "limit"])

      const unknown = yield* call(`${sim.url}/api/nope`)
      expect(unknown.status).toBe(404)
      expect(JSON.parse(unknown.text)).toEqual({ detail: "Not Found" })
      const wrongMethod = yield* call(`${sim.url}/api/users`, { method: "PATCH" })
      expect(wrongMethod.status).toBe(405)
      expect(JSON.parse(wrongMethod.text)).toEqual({ detail: "Method Not Allowed" })
      expect(wrongMethod.allow).toBe("GET, POST")
      // a missing user is still the API's own 404 detail, and the state is untouched by all of the above
      const missing = yield* call(`${sim.url}/api/users/user-9999`)
      expect(missing.status).toBe(404)
      expect(JSON.parse(missing.text)).toMatchObject({ detail: expect.stringContaining("user-9999") })
      expect((yield* sim.state).users).toHaveLength(2)
    }))
})
