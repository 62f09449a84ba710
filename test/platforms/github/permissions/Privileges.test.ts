/** GitHub's mapping rule: which mechanism grants a privilege. */
import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import type { PermissionSource } from "../../../../src/platforms/github/Payloads.js"
import { heldPrivileges, mechanismFor } from "../../../../src/platforms/github/permissions/Privileges.js"

const src = (kind: "Repository" | "Team" | "Organization", permission: string, roleName?: string): PermissionSource => ({
  permission,
  roleName: roleName ?? null,
  source: { __typename: kind }
})

describe("GitHub mapping rules", () => {
  it("a privilege's mechanism is the first of direct, group, role among sources at least that strong", () => {
    // direct read, team write, base read
    const sources = [src("Repository", "READ", "read"), src("Team", "WRITE", "write"), src("Organization", "READ", "read")]
    expect(mechanismFor(sources, 1)).toEqual(Option.some("direct"))
    expect(mechanismFor(sources, 2)).toEqual(Option.some("group"))
    expect(mechanismFor(sources, 3)).toEqual(Option.some("group"))
    expect(mechanismFor(sources, 4)).toEqual(Option.none())
    // an owner on a team with maintain: ADMIN by role, MAINTAIN and below by the team
    const owner = [src("Organization", "ADMIN", "admin"), src("Team", "WRITE", "maintain")]
    expect(mechanismFor(owner, 5)).toEqual(Option.some("role"))
    expect(mechanismFor(owner, 4)).toEqual(Option.some("group"))
    // without roleName, GitHub's coarse permission is used (maintain reads as WRITE)
    expect(mechanismFor([src("Team", "WRITE")], 4)).toEqual(Option.none())
    expect(mechanismFor([src("Team", "WRITE")], 3)).toEqual(Option.some("group"))
  })

  it("a collaborator without `permissions` (optional in GitHub's schema) holds every privilege up to its role_name", () => {
    expect(heldPrivileges(undefined, "maintain")).toEqual(["MAINTAIN", "PUSH", "TRIAGE", "PULL"])
    expect(heldPrivileges(undefined, "read")).toEqual(["PULL"])
    expect(heldPrivileges(undefined, undefined)).toEqual([])
    expect(heldPrivileges({ admin: false, push: true, pull: true }, "admin")).toEqual(["PUSH", "PULL"])
  })
})
