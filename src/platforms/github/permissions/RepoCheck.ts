/**
 * Stage 2: a repository's collaborators over REST, conditionally. The `permissions` flags say which
 * privileges each holds; the pages' ETags are the signature its cached grants were derived from, so an
 * unchanged repository (and no org-wide change) reuses them without asking GraphQL.
 * The signature also covers the direct collaborators (`affiliation=direct`): a direct grant added or
 * removed under an equal or stronger team or org grant changes only a mechanism, which leaves the
 * `affiliation=all` list (effective permissions) and its ETag as they were.
 */
import { Effect, Either, Option, Schema, Stream } from "effect"
import type { GitHubClient } from "../Client.js"
import { Collaborator } from "../Payloads.js"
import { conditionalPages } from "./Pages.js"
import { heldPrivileges } from "./Privileges.js"
import type { PermissionsState, RepoCache, RestCollaborator } from "./State.js"

export interface RepoCheck {
  readonly name: string
  readonly fullName: string
  readonly signature: string
  readonly collaborators: ReadonlyArray<RestCollaborator>
  /** the grants derived last time, when the signature still matches and no full refresh is due */
  readonly cached: Option.Option<RepoCache>
}

const decodeCollaborator = Schema.decodeUnknownEither(Collaborator, { errors: "all", onExcessProperty: "ignore" })

const projectCollaborators = (items: ReadonlyArray<unknown>): ReadonlyArray<RestCollaborator> =>
  items.map((item) =>
    Either.match(decodeCollaborator(item), {
      onLeft: (e) => ({ _tag: "bad", reason: `collaborator: ${String(e.message)}`, original: item }) as const,
      onRight: (c) => ({ _tag: "ok", login: c.login, held: heldPrivileges(c.permissions, c.role_name) }) as const
    })
  )

/** Check one repository; with `full`, its cached grants are not reused. */
export const checkRepo = (client: GitHubClient, state: PermissionsState, full: boolean) => (name: string) => {
  const { org, pageSize } = client.settings
  const per = `per_page=${pageSize}`
  const all = conditionalPages(
    client,
    state.collaboratorPages,
    `/repos/${org}/${name}/collaborators?affiliation=all&${per}`,
    projectCollaborators,
    `list collaborators of ${org}/${name}`
  ).pipe(
    Stream.runFold({ etags: [] as Array<string>, collaborators: [] as Array<RestCollaborator> }, (acc, page) => {
      acc.etags.push(page.etag)
      for (const c of page.value) acc.collaborators.push(c)
      return acc
    })
  )
  // only the ETags matter here: the body is what `all` already says, so nothing of it is kept
  const direct = conditionalPages(
    client,
    state.pages,
    `/repos/${org}/${name}/collaborators?affiliation=direct&${per}`,
    () => null,
    `list direct collaborators of ${org}/${name}`
  ).pipe(Stream.runFold([] as Array<string>, (acc, page) => [...acc, page.etag]))
  return Effect.zip(all, direct).pipe(
    Effect.map(([{ collaborators, etags }, directEtags]): RepoCheck => {
      const signature = [...etags, ...directEtags].some((e) => e === "") ? "" : `${etags.join("|")}#direct:${directEtags.join("|")}`
      const cached = Option.fromNullable(state.repos.get(name)).pipe(
        Option.filter((c) => !full && signature !== "" && c.signature === signature)
      )
      return { name, fullName: `${org}/${name}`, signature, collaborators, cached }
    })
  )
}
