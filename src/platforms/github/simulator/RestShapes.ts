/**
 * GitHub's REST shapes as the simulator answers them, as GitHub's OpenAPI description declares them (the
 * contract tests hold them to it): users, repositories, the org, teams, invitations, permission flags, the 404
 * body, and list paging with `per_page`/`page` and `Link` next/last.
 */
import type { JsonAnswer } from "../../../sdk/simulator/Json.js"
import type { Level, Model, Repo, Team, User } from "./Model.js"

/** A route's answer; `cost` is the rate budget it spends (GraphQL points; REST: 1). */
export interface Answer extends JsonAnswer {
  readonly cost?: number
}

/** GitHub's `node_id`: base64 of "<length of the type>:<type><id>" (the classic global id). */
const nodeId = (type: string, id: number) => Buffer.from(`0${type.length}:${type}${id}`).toString("base64")

/** A user or organization as GitHub's `simple-user` carries it (the API's links included). */
const accountJson = (base: string, login: string, id: number, type: "User" | "Organization") => {
  const api = `${base}/users/${login}`
  return {
    login,
    id,
    node_id: nodeId(type, id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: `https://github.com/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    site_admin: false
  }
}

export const userJson = (base: string, u: User) => accountJson(base, u.login, u.id, "User")

/** A user as `GET /users/{username}` gives it (GitHub's `public-user`): the profile beside the links. */
export const publicUserJson = (base: string, u: User) => ({
  ...userJson(base, u),
  name: null,
  company: null,
  blog: "",
  location: null,
  email: null,
  hireable: null,
  bio: null,
  public_repos: 0,
  public_gists: 0,
  followers: 0,
  following: 0,
  created_at: "2020-01-01T00:00:00Z",
  updated_at: "2020-01-01T00:00:00Z"
})

export const permissionsJson = (level: Level) => ({
  admin: level >= 5,
  maintain: level >= 4,
  push: level >= 3,
  triage: level >= 2,
  pull: level >= 1
})

/** A repository as GitHub's `minimal-repository` carries it (lists of an org's or a team's repositories). */
export const repoJson = (base: string, model: Model, r: Repo) => {
  const fullName = `${model.org.login}/${r.name}`
  const api = `${base}/repos/${fullName}`
  // GitHub's timestamps here are to the second
  const pushedAt = new Date(r.pushedAt).toISOString().replace(/\.\d{3}Z$/, "Z")
  return {
    id: r.id,
    node_id: nodeId("Repository", r.id),
    name: r.name,
    full_name: fullName,
    private: r.private,
    owner: accountJson(base, model.org.login, model.org.id, "Organization"),
    html_url: `https://github.com/${fullName}`,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    hooks_url: `${api}/hooks`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    visibility: r.private ? "private" : "public",
    created_at: createdAt,
    updated_at: pushedAt,
    pushed_at: pushedAt
  }
}

/** When the simulated org (and its teams) were created: fixed, so payloads and their ETags are stable. */
const createdAt = "2015-03-01T09:00:00Z"

/** The org as GitHub's `organization-simple` carries it (inside an org membership). */
export const orgSimpleJson = (base: string, model: Model) => {
  const { id, login } = model.org
  const api = `${base}/orgs/${login}`
  return {
    login,
    id,
    node_id: nodeId("Organization", id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    description: "Simulated organization"
  }
}

/** The org as GitHub's `organization-full` carries it, counters and plan included. */
export const orgJson = (base: string, model: Model) => {
  const { login } = model.org
  const privateRepos = model.repos.filter((r) => r.private).length
  return {
    ...orgSimpleJson(base, model),
    name: login,
    twitter_username: null,
    is_verified: false,
    has_organization_projects: true,
    has_repository_projects: true,
    public_repos: model.repos.length - privateRepos,
    public_gists: 0,
    followers: 0,
    following: 0,
    html_url: `https://github.com/${login}`,
    created_at: createdAt,
    updated_at: createdAt,
    type: "Organization",
    total_private_repos: privateRepos,
    owned_private_repos: privateRepos,
    private_gists: 0,
    disk_usage: 0,
    collaborators: model.outside.length,
    billing_email: null,
    plan: { name: "enterprise", space: 976_562_499, private_repos: 999_999, filled_seats: model.members.length, seats: model.members.length },
    default_repository_permission: model.org.base,
    members_can_create_repositories: true,
    two_factor_requirement_enabled: true,
    members_allowed_repository_creation_type: "all",
    members_can_create_public_repositories: true,
    members_can_create_private_repositories: true,
    members_can_create_internal_repositories: true,
    members_can_create_pages: true,
    members_can_create_public_pages: true,
    members_can_create_private_pages: true,
    members_can_fork_private_repositories: false
  }
}

/** A team as GitHub's `team` carries it. */
export const teamJson = (base: string, model: Model, t: Team) => {
  const api = `${base}/organizations/${model.org.id}/team/${t.id}`
  return {
    id: t.id,
    node_id: nodeId("Team", t.id),
    url: `${base}/orgs/${model.org.login}/teams/${t.slug}`,
    html_url: `https://github.com/orgs/${model.org.login}/teams/${t.slug}`,
    name: t.name,
    slug: t.slug,
    description: null,
    privacy: "closed",
    permission: "pull",
    members_url: `${api}/members{/member}`,
    repositories_url: `${api}/repos`,
    parent: null
  }
}

/** The invitation a `PUT .../collaborators/{username}` creates for someone outside the org (`repository-invitation`). */
export const invitationJson = (base: string, model: Model, repo: Repo, invitee: User, id: number, level: Level, now: number) => ({
  id,
  node_id: nodeId("RepositoryInvitation", id),
  repository: repoJson(base, model, repo),
  invitee: userJson(base, invitee),
  inviter: accountJson(base, "verity-bot", 1, "User"),
  permissions: invitationPermissions[level],
  created_at: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
  expired: false,
  url: `${base}/user/repository_invitations/${id}`,
  html_url: `https://github.com/${model.org.login}/${repo.name}/invitations`
})

/** An invitation's `permissions` (GitHub's names: read, triage, write, maintain, admin), by level. */
const invitationPermissions: Record<Level, "read" | "triage" | "write" | "maintain" | "admin"> = {
  0: "read",
  1: "read",
  2: "triage",
  3: "write",
  4: "maintain",
  5: "admin"
}

export const notFound = (doc: string) => ({ status: 404, body: { message: "Not Found", documentation_url: doc, status: "404" } })

const paginate = <A>(items: ReadonlyArray<A>, url: URL, base: string): { page: ReadonlyArray<A>; link?: string } => {
  const per = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30))
  const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1)
  const last = Math.max(1, Math.ceil(items.length / per))
  const slice = items.slice((page - 1) * per, page * per)
  const at = (p: number) => {
    const u = new URL(url.pathname + url.search, base)
    u.searchParams.set("page", String(p))
    u.searchParams.set("per_page", String(per))
    return u.toString()
  }
  const links: Array<string> = []
  if (page > 1) links.push(`<${at(page - 1)}>; rel="prev"`)
  if (page < last) links.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`)
  if (page > 1) links.push(`<${at(1)}>; rel="first"`)
  return links.length > 0 ? { page: slice, link: links.join(", ") } : { page: slice }
}

export const list = <A>(items: ReadonlyArray<A>, url: URL, base: string): Answer => {
  const { link, page } = paginate(items, url, base)
  return { status: 200, body: page, ...(link ? { headers: { link } } : {}) }
}
