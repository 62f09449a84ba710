/**
 * The Lumos wire contract the project tests against: the JSON Schemas in contracts/lumos/, written from
 * connector-sdk-types 0.37.0 (as pinned by connector-py 4.184.0), validated with ajv.
 */
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Ajv, type ValidateFunction } from "ajv"

export const contractDir = fileURLToPath(new URL("../../contracts/lumos/", import.meta.url))

interface IndexEntry {
  readonly name: string
  readonly file: string
  readonly package: string
  readonly version: string
  readonly path: string
}
export const contractIndex = JSON.parse(readFileSync(`${contractDir}index.json`, "utf8")) as {
  readonly schemas: ReadonlyArray<IndexEntry>
}

const ajv = new Ajv({ allErrors: true, strict: false })
for (const file of readdirSync(contractDir).filter((f) => f.endsWith(".json") && f !== "index.json")) {
  ajv.addSchema(JSON.parse(readFileSync(`${contractDir}${file}`, "utf8")) as object)
}
const base = "https://verity.dev/contracts/lumos/connector-sdk-types/0.37.0/"

const compiled = new Map<string, ValidateFunction>()
const validator = (name: string): ValidateFunction => {
  const known = compiled.get(name)
  if (known !== undefined) return known
  const fn = ajv.getSchema(`${base}${name}.json`)
  if (fn === undefined) throw new Error(`no Lumos contract schema named ${name}`)
  compiled.set(name, fn)
  return fn
}

/** The problems of `value` against the model `name` (empty when it conforms). */
export const contractErrors = (name: string, value: unknown): ReadonlyArray<string> => {
  const validate = validator(name)
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"} ${JSON.stringify(e.params)}`)
}

/** Each capability's response model in the SDK. */
export const responseModel: Readonly<Record<string, string>> = {
  app_info: "AppInfoResponse",
  info: "InfoResponse",
  validate_credentials: "ValidateCredentialsResponse",
  list_accounts: "ListAccountsResponse",
  get_account: "GetAccountResponse",
  create_account: "CreateAccountResponse",
  update_account: "UpdateAccountResponse",
  activate_account: "ActivateAccountResponse",
  deactivate_account: "DeactivateAccountResponse",
  delete_account: "DeleteAccountResponse",
  list_resources: "ListResourcesResponse",
  list_entitlements: "ListEntitlementsResponse",
  find_entitlement_associations: "FindEntitlementAssociationsResponse",
  get_account_entitlement_associations: "GetAccountEntitlementAssociationsResponse",
  assign_entitlement: "AssignEntitlementResponse",
  unassign_entitlement: "UnassignEntitlementResponse",
  get_last_activity: "GetLastActivityResponse",
  list_activity_records: "ListActivityRecordsResponse",
  list_custom_attributes_schema: "ListCustomAttributesSchemaResponse",
  list_updated_accounts: "ListUpdatedAccountsResponse"
}

/** The problems of a capability's answer: an ErrorResponse when `is_error`, its response model otherwise. */
export const answerErrors = (capability: string, answer: unknown): ReadonlyArray<string> => {
  if (typeof answer === "object" && answer !== null && "is_error" in answer) return contractErrors("ErrorResponse", answer)
  const model = responseModel[capability]
  if (model === undefined) return [`no response model for capability ${capability}`]
  return contractErrors(model, answer)
}
