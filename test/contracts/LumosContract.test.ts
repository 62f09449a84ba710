/** The carried Lumos contract: every schema loads, names its source, and tells the SDK's shapes from ours before. */
import { describe, expect, it } from "vitest"
import { contractErrors, contractIndex } from "../support/LumosContract.js"

describe("Lumos contract schemas (connector-sdk-types 0.37.0)", () => {
  it("lists every schema with the package, version and file it was written from", () => {
    expect(contractIndex.schemas.length).toBeGreaterThan(50)
    for (const entry of contractIndex.schemas) {
      expect(entry.package).toBe("connector-sdk-types")
      expect(entry.version).toBe("0.37.0")
      expect(entry.path).toMatch(/connector_sdk_types-0\.37\.0.*\/generated\/models\/[a-z0-9_]+\.py$/)
      // every schema compiles (and its $refs resolve)
      expect(() => contractErrors(entry.name, null)).not.toThrow()
    }
  })

  it("accepts the SDK's shapes and rejects the tutorial's older ones", () => {
    const account = {
      integration_specific_id: "u1", email: "a@example.com", given_name: null, family_name: null, username: null,
      user_status: "ACTIVE", extra_data: null, custom_attributes: null, account_type: null
    }
    expect(contractErrors("ListAccountsResponse", { response: [account], raw_data: null, page: null, execution_summary: null })).toEqual([])
    expect(contractErrors("FoundAccountData", { account_id: "u1", email: null, display_name: null, status: "active" })).not.toEqual([])
    expect(contractErrors("ErrorResponse", {
      is_error: true,
      error: { message: "m", status_code: 409, app_error_code: null, error_code: "api_error", app_id: "x", raised_by: "HTTPStatusError", raised_in: "x.y:z" },
      raw_data: null, page: null
    })).toEqual([])
    expect(contractErrors("ErrorResponse", { error: { message: "m", error_code: "conflict", app_id: "x" } })).not.toEqual([])
  })
})
