/**
 * GitHub's write capabilities: assign/unassign_entitlement as PUT/DELETE
 * /repos/{owner}/{repo}/collaborators/{username}. Only repository permission levels can be written.
 */
import { Effect, Option } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { AssignedEntitlement, UnassignedEntitlement } from "../../../sdk/capabilities/Records.js"
import type { EntitlementGrant } from "../../../sdk/capabilities/Requests.js"
import { AssignEntitlementResponse, UnassignEntitlementResponse } from "../../../sdk/capabilities/Responses.js"
import { type GitHubCapabilitySettings, isLevel, repositoryLevels, splitRepo, withClient } from "./Common.js"

/** The repository an (un)assignment writes to; only repository permission levels can be written. */
const collaboratorTarget = (grant: EntitlementGrant, org: string, verb: "assigned" | "unassigned") => {
  const target = splitRepo(grant.resource_integration_specific_id, org)
  return Option.isSome(target) && isLevel(grant.entitlement_integration_specific_id)
    ? Effect.succeed(target.value)
    : Effect.fail(
      new CapabilityError({
        code: "unsupported_operation",
        raisedBy: "UnsupportedEntitlement",
        message: `only repository permissions can be ${verb}: resource_integration_specific_id "${org}/<repo>" and ` +
          `entitlement_integration_specific_id one of ${repositoryLevels.join(", ")} (got ${grant.entitlement_integration_specific_id} on ${grant.resource_integration_specific_id})`
      })
    )
}

export const assignEntitlement: CapabilityHandler<"assign_entitlement", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    Effect.gen(function*() {
      const grant = req.request
      const account = grant.account_integration_specific_id
      const { owner, repo } = yield* collaboratorTarget(grant, settings.org, "assigned")
      yield* client.write(
        "PUT",
        `/repos/${owner}/${repo}/collaborators/${encodeURIComponent(account)}`,
        { permission: grant.entitlement_integration_specific_id },
        `add ${account} to ${grant.resource_integration_specific_id} with ${grant.entitlement_integration_specific_id}`
      )
      return new AssignEntitlementResponse({ response: new AssignedEntitlement({ assigned: true }) })
    }))

export const unassignEntitlement: CapabilityHandler<"unassign_entitlement", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    Effect.gen(function*() {
      const grant = req.request
      const account = grant.account_integration_specific_id
      const { owner, repo } = yield* collaboratorTarget(grant, settings.org, "unassigned")
      yield* client.write(
        "DELETE",
        `/repos/${owner}/${repo}/collaborators/${encodeURIComponent(account)}`,
        undefined,
        `remove ${account} from ${grant.resource_integration_specific_id}`
      )
      return new UnassignEntitlementResponse({ response: new UnassignedEntitlement({ unassigned: true }) })
    }))
