/** Capability errors: the codes HTTP statuses and connector failures map to. */
import { describe, expect, it } from "@effect/vitest"
import { ConnectorError } from "../../../src/domain/Errors.js"
import { CapabilityError, errorCodeForStatus } from "../../../src/sdk/capabilities/Errors.js"

describe("capability errors", () => {
  it("maps HTTP statuses to error codes", () => {
    expect([400, 401, 403, 404, 409, 429, 500, 502, 503].map(errorCodeForStatus)).toEqual([
      "bad_request",
      "unauthorized",
      "permission_denied",
      "not_found",
      "conflict",
      "rate_limit",
      "api_error",
      "api_error",
      "api_error"
    ])
    // a 403 that the client recognised as a rate limit is a rate_limit
    const limited = CapabilityError.fromConnectorError(new ConnectorError({ reason: "rate_limited", platform: "x", message: "slow down", status: 403 }))
    expect(limited.code).toBe("rate_limit")
    const transport = CapabilityError.fromConnectorError(new ConnectorError({ reason: "transport", platform: "x", message: "ECONNREFUSED" }))
    expect(transport.code).toBe("api_error")
  })
})
