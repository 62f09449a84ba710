import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { makePlatform } from "../../../src/domain/Ids.js"
import { RawEvent } from "../../../src/domain/RawEvent.js"
import { AccessScope } from "../../../src/sdk/Connector.js"
import { scopeOf } from "../../../src/platforms/github/AccessActions.js"

const event = (operation: string, raw: Record<string, unknown>) =>
  new RawEvent({
    platform: makePlatform("github"),
    eventId: "e1" as RawEvent["eventId"],
    occurredAt: new Date(0),
    principalRef: "alice",
    assetRef: "acme",
    operation,
    rawPayload: { action: operation, ...raw }
  })

describe("GitHub access actions", () => {
  const of = scopeOf("acme")
  it("a repository's collaborators or team access touch that repository", () => {
    for (const action of ["repo.add_member", "repo.remove_member", "repo.update_member", "team.add_repository", "team.remove_repository", "team.update_repository_permission"]) {
      expect(of(event(action, { repo: "acme/api", user: "bob", team: "acme/core" }))).toEqual(Option.some(AccessScope.Asset({ asset: "acme/api" })))
    }
  })
  it("team membership touches the team; base permission and owners the whole org", () => {
    expect(of(event("team.remove_member", { team: "Acme/core", user: "bob" }))).toEqual(Option.some(AccessScope.Group({ group: "core" })))
    expect(of(event("org.update_default_repository_permission", { permission: "read" }))).toEqual(Option.some(AccessScope.Org()))
    expect(of(event("org.update_member", { user: "bob", permission: "admin" }))).toEqual(Option.some(AccessScope.Org()))
  })
  it("events that change no access, pending invitations, other orgs and missing targets touch nothing", () => {
    expect(of(event("repo.access", { repo: "acme/api" }))).toEqual(Option.none())
    expect(of(event("repository_invitation.create", { repo: "acme/api", user: "x" }))).toEqual(Option.none())
    expect(of(event("repo.add_member", { repo: "elsewhere/api" }))).toEqual(Option.none())
    expect(of(event("repo.add_member", {}))).toEqual(Option.none())
    expect(of(event("team.add_member", { team: 7 }))).toEqual(Option.none())
  })
})
