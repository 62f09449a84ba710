/**
 * Live mode: while the simulator runs, audit events keep arriving and access keeps changing (grants
 * added, removed and changed; team repositories and members; new outside collaborators who accept
 * their invitation; the base permission; people joining and leaving the org, owners made and unmade), at the rates asked for and from a seeded PRNG. Changes go through `Writes`, the
 * same path as the REST writes, so each one is in the API, the audit log and the truth at once.
 */
import { Effect } from "effect"
import { mulberry32 } from "../../../sdk/simulator/SeededRandom.js"
import { baseLevels, byTimeThenId, type Level, makeEntry, type Model, pick } from "./Model.js"
import type { LiveCounters, LiveOptions } from "./Types.js"
import type { WriteContext, WriteResult, Writes } from "./Writes.js"

/** One random access change that really changes something (false when none could be made). */
export const randomChange = (model: Model, writes: Writes, rng: () => number, now: number): boolean => {
  const owners = [...model.owners]
  const ctx: WriteContext = { actor: owners.length > 0 ? pick(rng, owners) : "ghost", now }
  const minLevel = Math.max(1, baseLevels[model.org.base] ?? 0)
  const memberLevel = () => (minLevel + Math.floor(rng() * (6 - minLevel))) as Level
  const anyLevel = () => (1 + Math.floor(rng() * 5)) as Level
  const directGrants = () => [...model.direct.entries()].flatMap(([repo, grants]) => [...grants.keys()].map((login) => ({ repo, login })))
  const done = (r: WriteResult) => r._tag === "applied"
  const ops: ReadonlyArray<() => boolean> = [
    // a member gets a direct grant
    () => model.members.length > 0 && model.repos.length > 0 && done(writes.addCollaborator(ctx, pick(rng, model.repos).name, pick(rng, model.members), memberLevel())),
    // a direct grant is removed
    () => {
      const all = directGrants()
      if (all.length === 0) return false
      const g = pick(rng, all)
      return done(writes.removeCollaborator(ctx, g.repo, g.login))
    },
    // a direct grant changes level
    () => {
      const all = directGrants()
      if (all.length === 0) return false
      const g = pick(rng, all)
      return done(writes.addCollaborator(ctx, g.repo, g.login, model.members.includes(g.login) ? memberLevel() : anyLevel()))
    },
    // a team gets a repository, or its level there changes
    () => model.teams.length > 0 && model.repos.length > 0 && done(writes.setTeamRepo(ctx, pick(rng, model.teams).slug, pick(rng, model.repos).name, anyLevel())),
    // a team loses a repository
    () => {
      const team = model.teams.length > 0 ? pick(rng, model.teams) : undefined
      const repos = team ? [...team.repos.keys()] : []
      return team !== undefined && repos.length > 0 && done(writes.removeTeamRepo(ctx, team.slug, pick(rng, repos)))
    },
    // a member joins a team
    () => model.teams.length > 0 && model.members.length > 0 && done(writes.setTeamMembership(ctx, pick(rng, model.teams).slug, pick(rng, model.members))),
    // someone leaves a team
    () => {
      const team = model.teams.length > 0 ? pick(rng, model.teams) : undefined
      return team !== undefined && team.members.length > 0 && done(writes.removeTeamMembership(ctx, team.slug, pick(rng, team.members)))
    },
    // a new outside collaborator is invited and accepts
    () => {
      if (model.repos.length === 0) return false
      const invited = writes.addCollaborator(ctx, pick(rng, model.repos).name, `ext-live-${model.nextUserId}`, anyLevel())
      return invited._tag === "invited" && done(writes.acceptInvitation(ctx, invited.invitation.id))
    },
    // the base permission changes (admin left out: it would make every member an admin of everything)
    () => done(writes.setBasePermission(ctx, pick(rng, (["none", "read", "write"] as const).filter((b) => b !== model.org.base)))),
    // someone new is invited to the org and accepts
    () => {
      const invited = writes.setOrgMembership(ctx, `member-live-${model.nextUserId}`, "member")
      return invited._tag === "invited" && done(writes.acceptInvitation(ctx, invited.invitation.id))
    },
    // a member who is not an owner leaves the org
    () => {
      const leavers = model.members.filter((m) => !model.owners.has(m))
      return leavers.length > 1 && done(writes.removeOrgMember(ctx, pick(rng, leavers)))
    },
    // a member becomes an owner, or an owner (one of several) a member
    () => {
      if (model.members.length === 0) return false
      const who = pick(rng, model.members)
      const demote = model.owners.has(who)
      return (!demote || model.owners.size > 1) && done(writes.setOrgMembership(ctx, who, demote ? "member" : "admin"))
    }
  ]
  for (let attempt = 0; attempt < 20; attempt++) {
    if (pick(rng, ops)()) return true
  }
  return false
}

/** Runs until interrupted: appends events and makes changes at the asked rates. */
export const runLive = (model: Model, writes: Writes, options: LiveOptions, seed: number, counters: LiveCounters): Effect.Effect<void> => {
  const eventsPerSec = options.eventsPerSec ?? 0
  const changesPerMin = options.changesPerMin ?? 0
  if (eventsPerSec <= 0 && changesPerMin <= 0) return Effect.void
  const rng = mulberry32(options.seed ?? seed ^ 0x1b873593)
  const tickMs = Math.max(20, Math.min(1000, eventsPerSec > 0 ? 1000 / eventsPerSec : 1000, changesPerMin > 0 ? 60_000 / changesPerMin : 1000))
  let last = Date.now()
  let eventsOwed = 0
  let changesOwed = 0
  const tick = Effect.sync(() => {
    const now = Date.now()
    eventsOwed += ((now - last) / 1000) * eventsPerSec
    changesOwed += ((now - last) / 60_000) * changesPerMin
    last = now
    for (; eventsOwed >= 1; eventsOwed--) {
      const newest = model.events[model.events.length - 1]
      model.events.push(makeEntry(model, rng, Math.max(now, newest?.ts ?? 0), false))
      counters.events++
    }
    model.events.sort(byTimeThenId)
    for (; changesOwed >= 1; changesOwed--) {
      if (randomChange(model, writes, rng, now)) counters.changes++
    }
  })
  return tick.pipe(Effect.zipRight(Effect.sleep(tickMs)), Effect.forever)
}
