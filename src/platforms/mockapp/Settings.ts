/**
 * MockApp settings. Capability requests carry `settings` (the API URL) and `auth` (the token)
 * separately, as the tutorial does; a pipeline connector has no request to carry auth, so its
 * settings hold the token too (Redacted: it never reaches a log, an error or a snapshot). A pipeline
 * connector's fields fall back to `VERITY_MOCKAPP_API_URL`, `VERITY_MOCKAPP_TOKEN` and
 * `VERITY_MOCKAPP_PAGE_SIZE` (the SDK's `decodeSettings`).
 */
import { Schema } from "effect"

export const platform = "mockapp"
export const defaultApiUrl = "http://localhost:8000"

const ApiUrl = Schema.String.pipe(
  Schema.pattern(/^https?:\/\/\S+$/, { message: () => "api_url is an http(s) URL such as \"http://localhost:8000\"" })
).annotations({ description: "The base URL of the MockApp API" })

/** What a capability request's `settings` holds: the API URL, required (a request never falls back to localhost). */
export class MockAppSettings extends Schema.Class<MockAppSettings>("MockAppSettings")({
  api_url: ApiUrl
}) {}

/** A configured pipeline connector's settings. */
export class MockAppConnectorSettings extends Schema.Class<MockAppConnectorSettings>("MockAppConnectorSettings")({
  api_url: Schema.optionalWith(ApiUrl.annotations({ default: defaultApiUrl }), { default: () => defaultApiUrl }),
  token: Schema.Redacted(Schema.NonEmptyString).annotations({ description: "The MockApp API bearer token" }),
  page_size: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { default: () => 100 })
}) {}
