/**
 * GitHub's write capabilities: assign/unassign_entitlement as PUT/DELETE
 * /repos/{owner}/{repo}/collaborators/{username}. Only repository permission levels can be written.
 */
import { Effect, Option } from "effect"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { EmptyResponse } from "../../../sdk/capabilities/Responses.js"
import { type GitHubCapabilitySettings, isLevel, repositoryLevels, splitRepo, withClient } from "./Common.js"

/** The repository an (un)assignment writes to; only repository permission levels can be written. */
const collaboratorTarget = (
  request: { readonly entitlement_id: string; readonly resource_id: string },
  org: string,
  verb: "assigned" | "unassigned"
) => {
  const target = splitRepo(request.resource_id, org)
  return Option.isSome(target) && isLevel(request.entitlement_id)
    ? Effect.succeed(target.value)
    : Effect.fail(
      new CapabilityError({
        code: "bad_request",
        raisedBy: "UnsupportedEntitlement",
        message: `only repository permissions can be ${verb}: resource_id "${org}/<repo>" and entitlement_id one of ${
          repositoryLevels.join(", ")
        } (got ${request.entitlement_id} on ${request.resource_id})`
      })
    )
}

export const assignEntitlement: CapabilityHandler<"assign_entitlement", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    Effect.gen(function*() {
      const { account_id, entitlement_id, resource_id } = req.request
      const { owner, repo } = yield* collaboratorTarget(req.request, settings.org, "assigned")
      yield* client.write(
        "PUT",
        `/repos/${owner}/${repo}/collaborators/${encodeURIComponent(account_id)}`,
        { permission: entitlement_id },
        `add ${account_id} to ${resource_id} with ${entitlement_id}`
      )
      return new EmptyResponse({ response: null })
    }))

export const unassignEntitlement: CapabilityHandler<"unassign_entitlement", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    Effect.gen(function*() {
      const { account_id, resource_id } = req.request
      const { owner, repo } = yield* collaboratorTarget(req.request, settings.org, "unassigned")
      yield* client.write(
        "DELETE",
        `/repos/${owner}/${repo}/collaborators/${encodeURIComponent(account_id)}`,
        undefined,
        `remove ${account_id} from ${resource_id}`
      )
      return new EmptyResponse({ response: null })
    }))
