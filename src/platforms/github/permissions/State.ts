/** What the permissions stream remembers between pulls (ETag pages, derived grants), and what it may be told. */
import type { Duration } from "effect"
import type { GrantMechanism } from "../../../domain/Access.js"
import type { CachedPage } from "../Client.js"
import type { GitHubPrivilege } from "./Privileges.js"

/** What we keep of a REST collaborator: its login and privileges, or why it could not be read. */
export type RestCollaborator =
  | { readonly _tag: "ok"; readonly login: string; readonly held: ReadonlyArray<GitHubPrivilege> }
  | { readonly _tag: "bad"; readonly reason: string; readonly original: unknown }

/** A derived grant, cached per repository. */
export type CachedGrant =
  | { readonly _tag: "grant"; readonly login: string; readonly privilege: GitHubPrivilege; readonly mechanism: GrantMechanism }
  | { readonly _tag: "bad"; readonly reason: string; readonly original: unknown }

export interface RepoCache {
  readonly signature: string
  readonly grants: ReadonlyArray<CachedGrant>
}

/** The connector instance's memory: ETag pages and derived grants (one per process). */
export interface PermissionsState {
  readonly pages: Map<string, CachedPage<unknown>>
  readonly repoPages: Map<string, CachedPage<ReadonlyArray<string>>>
  readonly collaboratorPages: Map<string, CachedPage<ReadonlyArray<RestCollaborator>>>
  readonly slugPages: Map<string, CachedPage<ReadonlyArray<string>>>
  readonly repos: Map<string, RepoCache>
  lastFullRefresh: number | undefined
}

export const makePermissionsState = (): PermissionsState => ({
  pages: new Map(),
  repoPages: new Map(),
  collaboratorPages: new Map(),
  slugPages: new Map(),
  repos: new Map(),
  lastFullRefresh: undefined
})

export interface PermissionsOptions {
  /** repositories per GraphQL query (1..100); bounds the REST collaborators held while waiting */
  readonly graphqlBatch: number
  /** ask GraphQL for every repository at least this often, whatever the ETags say (see README) */
  readonly fullRefreshEvery: Duration.DurationInput
}

export const defaultPermissionsOptions: PermissionsOptions = {
  graphqlBatch: 100,
  fullRefreshEvery: "24 hours"
}
