/** The ground truth, computed from the model: every grant (with its mechanism) and every audit event, in the wire format. */
import { retained } from "./AuditLogSearch.js"
import { collaboratorsOf, type Entry, type Model, privilegeNames } from "./Model.js"
import type { TruthEvent, TruthGrant } from "./Types.js"

export const truthGrantsOf = (model: Model): ReadonlyArray<TruthGrant> => {
  const out: Array<TruthGrant> = []
  for (const repo of model.repos) {
    for (const c of collaboratorsOf(model, repo.name, "all")) {
      for (let p = c.level; p >= 1; p--) {
        const mechanism = (["direct", "group", "role"] as const).find((m) => c.sources.some((s) => s.mechanism === m && s.level >= p))
        if (mechanism === undefined) continue
        out.push({
          platform: "github",
          principal_ref: c.user.login.toLowerCase(),
          asset_ref: `${model.org.login}/${repo.name}`,
          privilege: privilegeNames[p],
          grant_mechanism: mechanism
        })
      }
    }
  }
  return out
}

export const truthEventOf = (model: Model, e: Entry): TruthEvent => {
  const action = String(e.entry["action"])
  const dot = action.indexOf(".")
  return {
    platform: "github",
    event_id: e.id,
    occurred_at: new Date(e.ts).toISOString(),
    principal_ref: String(e.entry["actor"]).toLowerCase(),
    asset_ref: typeof e.entry["repo"] === "string" ? e.entry["repo"] : model.org.login,
    operation: action,
    operation_category: dot < 0 ? action : action.slice(0, dot),
    operation_verb: dot < 0 ? "" : action.slice(dot + 1),
    raw_payload: e.entry
  }
}

/**
 * Every audit event a correct client publishes with default settings (`include=all`, from 90 days back):
 * what GitHub still keeps at `now` (the malformed ones are not in the truth).
 */
export const truthEventsOf = (model: Model, now: number): ReadonlyArray<TruthEvent> =>
  model.events.filter((e) => !e.bad && retained(e, now) && e.ts >= now - 90 * 86_400_000).map((e) => truthEventOf(model, e))
