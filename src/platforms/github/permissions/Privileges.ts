/**
 * GitHub's privilege levels and how a grant's mechanism is chosen: REST `permissions` flags say WHICH
 * privileges a collaborator holds (cumulative); GraphQL `permissionSources` say WHERE each comes from.
 * For each privilege the mechanism is the first of direct, group, role among the sources that grant it.
 */
import { Option } from "effect"
import type { GrantMechanism } from "../../../domain/Access.js"
import type { Collaborator, PermissionSource } from "../Payloads.js"

/** Privileges strongest first, with their level (each implies every lower level). */
export const privilegeLevels = [["ADMIN", 5], ["MAINTAIN", 4], ["PUSH", 3], ["TRIAGE", 2], ["PULL", 1]] as const
export type GitHubPrivilege = typeof privilegeLevels[number][0]

const roleLevels: Record<string, number> = {
  admin: 5,
  maintain: 4,
  write: 3,
  push: 3,
  triage: 2,
  read: 1,
  pull: 1,
  none: 0
}

/** The level a permission source grants: its `roleName` when it names a base role, else `permission`. */
export const sourceLevel = (source: PermissionSource): number => {
  const byRole = source.roleName ? roleLevels[source.roleName.toLowerCase()] : undefined
  return byRole ?? roleLevels[source.permission.toLowerCase()] ?? 0
}

export const sourceMechanism = (source: PermissionSource): GrantMechanism =>
  source.source.__typename === "Repository" ? "direct" : source.source.__typename === "Team" ? "group" : "role"

const mechanismOrder: ReadonlyArray<GrantMechanism> = ["direct", "group", "role"]

/** For a privilege of `level`: the first of direct, group, role among sources granting at least that level. */
export const mechanismFor = (sources: ReadonlyArray<PermissionSource>, level: number): Option.Option<GrantMechanism> =>
  Option.fromNullable(
    mechanismOrder.find((m) => sources.some((s) => sourceMechanism(s) === m && sourceLevel(s) >= level))
  )

/**
 * The privileges the REST `permissions` flags say a collaborator holds, strongest first; without the
 * flags (optional in GitHub's schema), every privilege up to its `role_name`.
 */
export const heldPrivileges = (permissions: Collaborator["permissions"], roleName?: string): ReadonlyArray<GitHubPrivilege> => {
  if (permissions === undefined) {
    const level = roleName ? roleLevels[roleName.toLowerCase()] ?? 0 : 0
    return privilegeLevels.filter(([, l]) => l <= level).map(([name]) => name)
  }
  const held: Array<GitHubPrivilege> = []
  if (permissions.admin) held.push("ADMIN")
  if (permissions.maintain) held.push("MAINTAIN")
  if (permissions.push) held.push("PUSH")
  if (permissions.triage) held.push("TRIAGE")
  if (permissions.pull) held.push("PULL")
  return held
}
export const levelOf = (p: GitHubPrivilege): number => privilegeLevels.find(([name]) => name === p)?.[1] ?? 0
