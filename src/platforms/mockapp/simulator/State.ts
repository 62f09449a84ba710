/** What the MockApp simulator holds (users, resources, entitlements, associations, logins), seeded deterministically. */
import type { Association, Entitlement, Login, Resource, User } from "../Payloads.js"
import { mulberry32 } from "../../../sdk/simulator/SeededRandom.js"

export interface MockAppState {
  readonly users: ReadonlyArray<User>
  readonly resources: ReadonlyArray<Resource>
  readonly entitlements: ReadonlyArray<Entitlement>
  readonly associations: ReadonlyArray<Association>
  readonly logins: ReadonlyArray<Login>
  /** API requests answered with an injected 503 or 429 so far */
  readonly injectedFaults: number
}

/** The server's own copy, changed by the write routes. */
export interface MutableState {
  users: Array<User>
  resources: ReadonlyArray<Resource>
  entitlements: ReadonlyArray<Entitlement>
  associations: Array<Association>
  logins: Array<Login>
  nextUser: number
  injectedFaults: number
}

const firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Linus", "Radia", "Tim"]
const lastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Torvalds"]

const resources: ReadonlyArray<Resource> = [
  { id: "proj-alpha", name: "Project Alpha", type: "project", description: "The flagship project" },
  { id: "proj-beta", name: "Project Beta", type: "project", description: "The experimental project" },
  { id: "team-eng", name: "Engineering", type: "team", description: "Engineering team" },
  { id: "team-ops", name: "Operations", type: "team", description: "Operations team" },
  { id: "global", name: "MockApp", type: "global", description: "Application-wide settings" }
]

const entitlements: ReadonlyArray<Entitlement> = [
  { id: "proj-alpha-viewer", name: "Alpha Viewer", type: "project_role", resource_id: "proj-alpha", description: "Read Project Alpha" },
  { id: "proj-alpha-editor", name: "Alpha Editor", type: "project_role", resource_id: "proj-alpha", description: "Edit Project Alpha" },
  { id: "proj-beta-viewer", name: "Beta Viewer", type: "project_role", resource_id: "proj-beta", description: "Read Project Beta" },
  { id: "proj-beta-editor", name: "Beta Editor", type: "project_role", resource_id: "proj-beta", description: "Edit Project Beta" },
  { id: "team-eng-member", name: "Engineering Member", type: "team_member", resource_id: "team-eng", description: "Member of Engineering" },
  { id: "team-ops-member", name: "Operations Member", type: "team_member", resource_id: "team-ops", description: "Member of Operations" },
  { id: "admin-super", name: "Super Admin", type: "admin_role", resource_id: "global", description: "Administers everything" },
  { id: "admin-billing", name: "Billing Admin", type: "admin_role", resource_id: "global", description: "Administers billing" }
]

const iso = (ms: number) => new Date(ms).toISOString()
export const userId = (n: number) => `user-${String(n).padStart(4, "0")}`
const seedEpoch = Date.UTC(2025, 0, 1)
const minute = 60_000
const day = 24 * 60 * minute

export const seedState = (seed: number, userCount: number): Omit<MockAppState, "injectedFaults"> & { readonly nextUser: number } => {
  const random = mulberry32(seed)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)] as A
  const users: Array<User> = []
  const assoc: Array<Association> = []
  const loginTimes: Array<{ user: string; at: number }> = []
  for (let n = 1; n <= userCount; n++) {
    const id = userId(n)
    const first = pick(firstNames)
    const last = pick(lastNames)
    const roll = random()
    const status = roll < 0.75 ? "active" : roll < 0.9 ? "inactive" : "deleted"
    const createdAt = seedEpoch - Math.floor(random() * 365) * day
    // a few logins each, on a minute grid: some users share a minute, as real logs do
    const count = Math.floor(random() * 4)
    const times: Array<number> = []
    for (let i = 0; i < count; i++) times.push(seedEpoch + Math.floor(random() * 30 * 24 * 60) * minute)
    times.sort((a, b) => a - b)
    for (const at of times) loginTimes.push({ user: id, at })
    users.push({
      id,
      email: `${first}.${last}.${n}@mockapp.example`.toLowerCase(),
      name: `${first} ${last}`,
      status,
      last_login: times.length > 0 ? iso(times[times.length - 1] as number) : null,
      created_at: iso(createdAt)
    })
    const grant = (e: Entitlement) =>
      assoc.push({ user_id: id, entitlement_id: e.id, resource_id: e.resource_id, created_at: iso(createdAt + day) })
    for (const e of entitlements) {
      if (e.type !== "admin_role" && random() < 0.3) grant(e)
    }
    // at most one admin role per user (the entitlement type's max)
    if (random() < 0.15) grant(pick(entitlements.filter((e) => e.type === "admin_role")))
  }
  loginTimes.sort((a, b) => a.at - b.at || a.user.localeCompare(b.user))
  const logins = loginTimes.map(({ at, user }, i) => ({ id: `login-${String(i + 1).padStart(6, "0")}`, user_id: user, at: iso(at) }))
  return { users, resources, entitlements, associations: assoc, logins, nextUser: userCount + 1 }
}
