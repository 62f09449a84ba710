/**
 * Stage 4: the grants of a repository, from what REST says each collaborator holds and what GraphQL
 * says grants it: one per privilege, with its mechanism (direct, else group, else role). What cannot be
 * matched becomes a dead letter with its original payload (where GraphQL gave no sources, Sources.ts
 * has put REST's in their place). Then each grant as a `PermissionSnapshot`.
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

export const derive = (
  repo: RepoCheck,
  sources: SourcesByLogin
): ReadonlyArray<CachedGrant> => {
  const grants: Array<CachedGrant> = []
  for (const [key, value] of sources) {
    if (key.startsWith("!bad:") && Either.isLeft(value)) grants.push({ _tag: "bad", ...value.left })
  }
  for (const c of repo.collaborators) {
    if (c._tag === "bad") {
      grants.push(c)
      continue
    }
    const found = sources.get(c.login.toLowerCase())
    if (found === undefined || Either.isLeft(found)) {
      grants.push({
        _tag: "bad",
        reason: `${repo.fullName}: GraphQL lists no permission sources for collaborator ${c.login}`,
        original: { repo: repo.fullName, login: c.login, privileges: c.held }
      })
      continue
    }
    for (const privilege of c.held) {
      const mechanism = mechanismFor(found.right, levelOf(privilege))
      if (Option.isNone(mechanism)) {
        grants.push({
          _tag: "bad",
          reason: `${repo.fullName}: no permission source of ${c.login} grants ${privilege}`,
          original: { repo: repo.fullName, login: c.login, privilege, permissionSources: found.right }
        })
      } else {
        grants.push({ _tag: "grant", login: c.login, privilege, mechanism: mechanism.value })
      }
    }
  }
  return grants
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
