/**
 * The GitHub audit actions that change who can access what, and what each touches: a repository (its
 * collaborators, or a team's access to it), a team (its members reach every repository the team has),
 * or the whole org (the base permission, owners, membership). Pending invitations change nothing until
 * accepted (`repository_invitation.accept` is followed by `repo.add_member`, `org.add_member` is the
 * org invitation accepted), so only what takes effect is listed. Action names as GitHub's audit log
 * writes them (docs.github.com, "Audit log events for your organization").
 */
import { Either, Option, Schema } from "effect"
import type { RawEvent } from "../../domain/RawEvent.js"
import { AccessScope } from "../../sdk/Connector.js"

export const accessActions: ReadonlyMap<string, AccessScope["_tag"]> = new Map([
  ["repo.add_member", "Asset"],
  ["repo.remove_member", "Asset"],
  ["repo.update_member", "Asset"],
  ["repo.create", "Asset"],
  ["repository_invitation.accept", "Asset"],
  ["team.add_repository", "Asset"],
  ["team.remove_repository", "Asset"],
  ["team.update_repository_permission", "Asset"],
  ["team.add_member", "Group"],
  ["team.remove_member", "Group"],
  ["org.update_default_repository_permission", "Org"],
  ["org.update_member", "Org"],
  ["org.add_member", "Org"],
  ["org.remove_member", "Org"]
])

/** The fields that name the target; `repo` and `team` are `<org>/<name>`. */
const Target = Schema.Struct({ repo: Schema.optional(Schema.String), team: Schema.optional(Schema.String) })
const decodeTarget = Schema.decodeUnknownEither(Target, { onExcessProperty: "ignore" })

/** The part after `<org>/`, when the reference belongs to `org` (an entry of another org touches none of ours). */
const inOrg = (org: string, ref: string | undefined): Option.Option<string> => {
  if (ref === undefined) return Option.none()
  const slash = ref.indexOf("/")
  if (slash <= 0) return Option.none()
  return ref.slice(0, slash).toLowerCase() === org.toLowerCase() && slash < ref.length - 1 ? Option.some(ref.slice(slash + 1)) : Option.none()
}

/** What an audit event of `org` touches, if its action changes access. */
export const scopeOf = (org: string) => (event: RawEvent): Option.Option<AccessScope> => {
  const kind = accessActions.get(event.operation)
  if (kind === undefined) return Option.none()
  if (kind === "Org") return Option.some(AccessScope.Org())
  const target = decodeTarget(event.rawPayload)
  if (Either.isLeft(target)) return Option.none()
  return kind === "Asset"
    ? Option.map(inOrg(org, target.right.repo), (name) => AccessScope.Asset({ asset: `${org}/${name}` }))
    : Option.map(inOrg(org, target.right.team), (slug) => AccessScope.Group({ group: slug }))
}
