/** The vocabulary of a permission snapshot: what was granted, and how. */
import { Schema } from "effect"

/**
 * A privilege as the platform names it, upper-cased (`ADMIN`, `MAINTAIN`, `PUSH`, `TRIAGE`, `PULL` on
 * GitHub; an entitlement id on platforms whose privileges are their own catalogue).
 */
export const Privilege = Schema.NonEmptyString.pipe(Schema.brand("Privilege"))
export type Privilege = typeof Privilege.Type

/** GitHub's repository roles, strongest first. Each implies every role after it. */
export const GitHubPrivileges = ["ADMIN", "MAINTAIN", "PUSH", "TRIAGE", "PULL"] as const

/**
 * How a principal came to hold a privilege. When several sources grant the same privilege, the
 * first of `direct`, `group`, `role` wins (the most specific grant is the one a reviewer can revoke).
 */
export const GrantMechanism = Schema.Literal(
  /** granted to the principal by name on the asset itself (a repo collaborator, an assigned entitlement) */
  "direct",
  /** inherited from membership of a group (a GitHub team, a MockApp team) */
  "group",
  /** implied by a role the principal holds (org owner, the org's base permission, an app role) */
  "role"
)
export type GrantMechanism = typeof GrantMechanism.Type

export const grantMechanismRank: Record<GrantMechanism, number> = { direct: 0, group: 1, role: 2 }
