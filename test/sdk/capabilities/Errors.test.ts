/** Capability errors: the codes HTTP statuses and connector failures map to (connector-py's HTTPHandler). */
import { describe, expect, it } from "@effect/vitest"
import { ConnectorError } from "../../../src/domain/Errors.js"
import { CapabilityError, errorCodeForStatus } from "../../../src/sdk/capabilities/Errors.js"

describe("capability errors", () => {
  it("maps HTTP statuses to the SDK's error codes", () => {
    expect([400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504].map(errorCodeForStatus)).toEqual([
      "bad_request",
      "unauthorized",
      "permission_denied",
      "not_found",
      "api_error",
      "api_error",
      "rate_limit",
      "api_error",
      "bad_gateway",
      "bad_gateway",
      "bad_gateway"
    ])
  })

  it("keeps the upstream status and the app's own code; failures without a status map by reason", () => {
    const conflict = CapabilityError.fromConnectorError(new ConnectorError({ reason: "conflict", platform: "mockapp", message: "taken", status: 409 }))
    expect(conflict).toMatchObject({ code: "api_error", status: 409, appErrorCode: "mockapp.conflict", raisedBy: "HTTPStatusError" })
    // a 403 that the client recognised as a rate limit (GitHub's secondary limits) is a rate_limit
    const limited = CapabilityError.fromConnectorError(new ConnectorError({ reason: "rate_limited", platform: "x", message: "slow down", status: 403 }))
    expect(limited).toMatchObject({ code: "rate_limit", status: 403 })
    const transport = CapabilityError.fromConnectorError(new ConnectorError({ reason: "transport", platform: "x", message: "ECONNREFUSED" }))
    expect(transport).toMatchObject({ code: "connection_rejected", raisedBy: "ConnectorError.transport" })
    expect(transport.status).toBeUndefined()
    const decode = CapabilityError.fromConnectorError(new ConnectorError({ reason: "decode", platform: "x", message: "bad body" }))
    expect(decode.code).toBe("invalid_response")
  })
})
