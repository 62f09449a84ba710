/**
 * Stage 4: the grants of a repository, from what REST says each collaborator holds and what GraphQL
 * says grants it: one per privilege, with its mechanism (direct, else group, else role). Unreadable
 * records become dead letters with their original payload (where GraphQL gave no sources, Sources.ts
 * has put REST's in their place); a privilege no source covers is set apart for Resolve.ts to judge.
 * Then each grant as a `PermissionSnapshot`.
 */
import { Either, Option } from "effect"
import { makePlatform } from "../../../domain/Ids.js"
import { PermissionSnapshot } from "../../../domain/PermissionSnapshot.js"
import { SourceRecord } from "../../../sdk/Connector.js"
import { platform } from "../Settings.js"
import { levelOf, mechanismFor } from "./Privileges.js"
import type { RepoCheck } from "./RepoCheck.js"
import type { SourcesByLogin } from "./Sources.js"
import type { CachedGrant } from "./State.js"

const githubPlatform = makePlatform(platform)

/** A collaborator REST lists but GraphQL does not, or whose sources do not cover a privilege REST says they hold. */
export interface Unmatched {
  /** lower-cased */
  readonly login: string
  /** what REST and GraphQL said of them, to tell a read that raced a change from a stable disagreement */
  readonly seen: string
  /** the dead letters it is when the disagreement is stable (it is not, while access changes) */
  readonly bad: ReadonlyArray<CachedGrant>
}

export interface Derived {
  /** the grants, and the dead letters of unreadable records; an unmatched privilege is in neither */
  readonly grants: ReadonlyArray<CachedGrant>
  readonly unmatched: ReadonlyArray<Unmatched>
}

export const derive = (repo: RepoCheck, sources: SourcesByLogin): Derived => {
  const grants: Array<CachedGrant> = []
  const unmatched: Array<Unmatched> = []
  for (const [key, value] of sources) {
    if (key.startsWith("!bad:") && Either.isLeft(value)) grants.push({ _tag: "bad", ...value.left })
  }
  for (const c of repo.collaborators) {
    if (c._tag === "bad") {
      grants.push(c)
      continue
    }
    const login = c.login.toLowerCase()
    const found = sources.get(login)
    if (found === undefined || Either.isLeft(found)) {
      unmatched.push({
        login,
        seen: JSON.stringify({ held: c.held, sources: null }),
        bad: [{
          _tag: "bad",
          reason: `${repo.fullName}: GraphQL lists no permission sources for collaborator ${c.login}`,
          original: { repo: repo.fullName, login: c.login, privileges: c.held }
        }]
      })
      continue
    }
    const bad: Array<CachedGrant> = []
    for (const privilege of c.held) {
      const mechanism = mechanismFor(found.right, levelOf(privilege))
      if (Option.isSome(mechanism)) grants.push({ _tag: "grant", login: c.login, privilege, mechanism: mechanism.value })
      else {
        bad.push({
          _tag: "bad",
          reason: `${repo.fullName}: no permission source of ${c.login} grants ${privilege}`,
          original: { repo: repo.fullName, login: c.login, privilege, permissionSources: found.right }
        })
      }
    }
    if (bad.length > 0) unmatched.push({ login, seen: JSON.stringify({ held: c.held, sources: found.right }), bad })
  }
  return { grants, unmatched }
}

export const emit = (fullName: string, grants: ReadonlyArray<CachedGrant>, at: Date) =>
  grants.map((g): SourceRecord<PermissionSnapshot> => {
    if (g._tag === "bad") return SourceRecord.Invalid({ reason: g.reason, original: g.original })
    const original = { login: g.login, repo: fullName, privilege: g.privilege, mechanism: g.mechanism }
    try {
      return SourceRecord.Valid({
        value: new PermissionSnapshot({
          platform: githubPlatform,
          principalRef: g.login,
          assetRef: fullName,
          privilege: g.privilege as PermissionSnapshot["privilege"],
          grantMechanism: g.mechanism,
          snapshotAt: at
        }),
        original
      })
    } catch (cause) {
      return SourceRecord.Invalid({ reason: String(cause), original })
    }
  })
