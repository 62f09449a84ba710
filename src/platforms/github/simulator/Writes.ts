/**
 * The org's writes, as GitHub makes them: each changes the model and appends the audit entry GitHub
 * writes for it (its action name and fields). The REST write routes and live mode both go through
 * here, so what a client changes and what live mode changes look the same in the API, the audit log
 * and the truth. Outside collaborators and people outside the org get a pending invitation, which
 * changes nothing until it is accepted; a member cannot be given a role below the base permission.
 */
import {
  type BasePermission,
  baseLevels,
  byTimeThenId,
  entryId,
  type Invitation,
  type Level,
  type Model,
  repoByName,
  roleNames,
  type User
} from "./Model.js"

/** What a write did: applied, pending (an invitation), unchanged, or refused (GitHub's 404/422). */
export type WriteResult =
  | { readonly _tag: "applied" }
  | { readonly _tag: "unchanged" }
  | { readonly _tag: "invited"; readonly invitation: Invitation }
  | { readonly _tag: "refused"; readonly status: 404 | 422; readonly message: string }

const applied: WriteResult = { _tag: "applied" }
const unchanged: WriteResult = { _tag: "unchanged" }
const refused = (status: 404 | 422, message: string): WriteResult => ({ _tag: "refused", status, message })

/** Who did it and when (epoch ms). */
export interface WriteContext {
  readonly actor: string
  readonly now: number
}

export const makeWrites = (model: Model) => {
  const org = model.org.login
  const userOf = (login: string): User => {
    const known = model.users.get(login.toLowerCase())
    if (known) return known
    const created = { login, id: model.nextUserId++ }
    model.users.set(login.toLowerCase(), created)
    return created
  }
  const isMember = (login: string) => model.members.includes(login)
  const teamOf = (slug: string) => model.teams.find((t) => t.slug.toLowerCase() === slug.toLowerCase())

  /** Append GitHub's audit entry for a write. */
  const audit = (ctx: WriteContext, action: string, operation: "create" | "modify" | "remove", fields: Record<string, unknown>) => {
    // after the newest entry, by a millisecond: one write's entries keep their order in the log
    const last = model.events[model.events.length - 1]
    const ts = Math.max(ctx.now, (last?.ts ?? 0) + 1)
    const id = entryId(model, ts)
    const user = typeof fields["user"] === "string" ? model.users.get(fields["user"].toLowerCase()) : undefined
    model.events.push({
      ts,
      id,
      bad: false,
      entry: {
        "@timestamp": ts,
        _document_id: id,
        action,
        actor: ctx.actor,
        actor_id: model.users.get(ctx.actor.toLowerCase())?.id ?? 0,
        created_at: ts,
        operation_type: operation,
        org,
        org_id: model.org.id,
        ...(user ? { user_id: user.id } : {}),
        ...fields
      }
    })
    model.events.sort(byTimeThenId)
  }
  const repoRef = (name: string) => `${org}/${name}`
  const teamRef = (slug: string) => `${org}/${slug}`

  const dropOutsideIfUnused = (login: string) => {
    if (isMember(login)) return
    const stillHas = [...model.direct.values()].some((grants) => grants.has(login))
    const i = model.outside.indexOf(login)
    if (!stillHas && i >= 0) model.outside.splice(i, 1)
  }

  const addCollaborator = (ctx: WriteContext, repoName: string, login: string, level: Level): WriteResult => {
    const repo = repoByName(model, repoName)
    if (!repo) return refused(404, "Not Found")
    const user = userOf(login)
    const grants = model.direct.get(repo.name) ?? new Map<string, Level>()
    model.direct.set(repo.name, grants)
    const base = baseLevels[model.org.base] ?? 0
    if (isMember(user.login) && level < base) {
      return refused(422, `${roleNames[level]} is lower than the organization's base permission (${model.org.base}); choose ${model.org.base} or higher`)
    }
    const old = grants.get(user.login)
    if (isMember(user.login) || old !== undefined) {
      if (old === level) return unchanged
      grants.set(user.login, level)
      audit(ctx, old === undefined ? "repo.add_member" : "repo.update_member", old === undefined ? "create" : "modify", {
        repo: repoRef(repo.name),
        user: user.login,
        permission: roleNames[level],
        ...(old !== undefined ? { old_permission: roleNames[old] } : {})
      })
      return applied
    }
    const pending = [...model.invitations.values()].find((i) => i.login === user.login && i.repo?.name === repo.name)
    if (pending?.repo) {
      pending.repo.level = level
      return { _tag: "invited", invitation: pending }
    }
    const invitation: Invitation = { id: model.nextInvitationId++, login: user.login, createdAt: ctx.now, inviter: ctx.actor, repo: { name: repo.name, level } }
    model.invitations.set(invitation.id, invitation)
    audit(ctx, "repository_invitation.create", "create", { repo: repoRef(repo.name), user: user.login, permission: roleNames[level], invitation_id: invitation.id })
    return { _tag: "invited", invitation }
  }

  const removeCollaborator = (ctx: WriteContext, repoName: string, login: string): WriteResult => {
    const repo = repoByName(model, repoName)
    if (!repo) return refused(404, "Not Found")
    const user = model.users.get(login.toLowerCase())
    if (!user) return unchanged
    let changed = false
    for (const inv of [...model.invitations.values()]) {
      if (inv.login === user.login && inv.repo?.name === repo.name) {
        model.invitations.delete(inv.id)
        audit(ctx, "repository_invitation.cancel", "remove", { repo: repoRef(repo.name), user: user.login, invitation_id: inv.id })
        changed = true
      }
    }
    const grants = model.direct.get(repo.name)
    const old = grants?.get(user.login)
    if (grants && old !== undefined) {
      grants.delete(user.login)
      audit(ctx, "repo.remove_member", "remove", { repo: repoRef(repo.name), user: user.login, old_permission: roleNames[old] })
      dropOutsideIfUnused(user.login)
      changed = true
    }
    return changed ? applied : unchanged
  }

  const joinTeam = (ctx: WriteContext, slug: string, login: string) => {
    const team = teamOf(slug)
    if (!team || team.members.includes(login)) return false
    team.members.push(login)
    audit(ctx, "team.add_member", "modify", { team: teamRef(team.slug), user: login })
    return true
  }

  const setTeamMembership = (ctx: WriteContext, slug: string, login: string): WriteResult => {
    const team = teamOf(slug)
    if (!team) return refused(404, "Not Found")
    const user = userOf(login)
    if (!isMember(user.login)) {
      const pending = [...model.invitations.values()].find((i) => i.login === user.login && i.org !== undefined)
      if (pending?.org) {
        if (!pending.org.teams.includes(team.slug)) pending.org.teams.push(team.slug)
        return { _tag: "invited", invitation: pending }
      }
      return inviteToOrg(ctx, user.login, "member", [team.slug])
    }
    return joinTeam(ctx, team.slug, user.login) ? applied : unchanged
  }

  const removeTeamMembership = (ctx: WriteContext, slug: string, login: string): WriteResult => {
    const team = teamOf(slug)
    if (!team) return refused(404, "Not Found")
    const i = team.members.findIndex((m) => m.toLowerCase() === login.toLowerCase())
    if (i < 0) return unchanged
    const [removed] = team.members.splice(i, 1)
    audit(ctx, "team.remove_member", "modify", { team: teamRef(team.slug), user: removed })
    return applied
  }

  const setTeamRepo = (ctx: WriteContext, slug: string, repoName: string, level: Level): WriteResult => {
    const team = teamOf(slug)
    const repo = repoByName(model, repoName)
    if (!team || !repo) return refused(404, "Not Found")
    const old = team.repos.get(repo.name)
    if (old === level) return unchanged
    team.repos.set(repo.name, level)
    audit(ctx, old === undefined ? "team.add_repository" : "team.update_repository_permission", "modify", {
      team: teamRef(team.slug),
      repo: repoRef(repo.name),
      permission: roleNames[level],
      ...(old !== undefined ? { old_permission: roleNames[old] } : {})
    })
    return applied
  }

  const removeTeamRepo = (ctx: WriteContext, slug: string, repoName: string): WriteResult => {
    const team = teamOf(slug)
    const repo = repoByName(model, repoName)
    if (!team || !repo) return refused(404, "Not Found")
    if (!team.repos.delete(repo.name)) return unchanged
    audit(ctx, "team.remove_repository", "modify", { team: teamRef(team.slug), repo: repoRef(repo.name) })
    return applied
  }

  const setBasePermission = (ctx: WriteContext, base: BasePermission): WriteResult => {
    const old = model.org.base
    if (old === base) return unchanged
    model.org.base = base
    audit(ctx, "org.update_default_repository_permission", "modify", { permission: base, old_permission: old })
    return applied
  }

  const inviteToOrg = (ctx: WriteContext, login: string, role: "admin" | "member", teams: Array<string>): WriteResult => {
    const invitation: Invitation = { id: model.nextInvitationId++, login, createdAt: ctx.now, inviter: ctx.actor, org: { role, teams } }
    model.invitations.set(invitation.id, invitation)
    audit(ctx, "org.invite_member", "create", { user: login, permission: role === "admin" ? "admin" : "read", invitation_id: invitation.id })
    return { _tag: "invited", invitation }
  }

  /**
   * `POST /orgs/{org}/invitations`: a login (GitHub takes the user's id) or an email address. GitHub refuses
   * (422) a member and someone already invited.
   */
  const createOrgInvitation = (ctx: WriteContext, invitee: { readonly login: string } | { readonly email: string }, role: "admin" | "member"): WriteResult => {
    if ("login" in invitee) {
      if (isMember(invitee.login)) return refused(422, `${invitee.login} is already a part of this organization`)
      if ([...model.invitations.values()].some((i) => i.org !== undefined && i.login === invitee.login)) {
        return refused(422, `${invitee.login} has already been invited`)
      }
      return inviteToOrg(ctx, invitee.login, role, [])
    }
    const email = invitee.email.toLowerCase()
    if ([...model.invitations.values()].some((i) => i.org !== undefined && i.email === email)) return refused(422, `${email} has already been invited`)
    const invitation: Invitation = { id: model.nextInvitationId++, login: "", email, createdAt: ctx.now, inviter: ctx.actor, org: { role, teams: [] } }
    model.invitations.set(invitation.id, invitation)
    audit(ctx, "org.invite_member", "create", { email, permission: role === "admin" ? "admin" : "read", invitation_id: invitation.id })
    return { _tag: "invited", invitation }
  }

  /** `DELETE /orgs/{org}/invitations/{invitation_id}`: an org invitation withdrawn before it was accepted. */
  const cancelOrgInvitation = (ctx: WriteContext, id: number): WriteResult => {
    const inv = model.invitations.get(id)
    if (!inv?.org) return refused(404, "Not Found")
    model.invitations.delete(id)
    audit(ctx, "org.cancel_invitation", "remove", { ...(inv.login !== "" ? { user: inv.login } : { email: inv.email }), invitation_id: inv.id })
    return applied
  }

  const setOrgMembership = (ctx: WriteContext, login: string, role: "admin" | "member"): WriteResult => {
    const user = userOf(login)
    if (!isMember(user.login)) {
      const pending = [...model.invitations.values()].find((i) => i.login === user.login && i.org !== undefined)
      if (pending?.org) {
        pending.org.role = role
        return { _tag: "invited", invitation: pending }
      }
      return inviteToOrg(ctx, user.login, role, [])
    }
    const wasOwner = model.owners.has(user.login)
    if (wasOwner === (role === "admin")) return unchanged
    if (role === "admin") model.owners.add(user.login)
    else model.owners.delete(user.login)
    audit(ctx, "org.update_member", "modify", { user: user.login, permission: role === "admin" ? "admin" : "read", old_permission: wasOwner ? "admin" : "read" })
    return applied
  }

  const removeOrgMember = (ctx: WriteContext, login: string): WriteResult => {
    const user = model.users.get(login.toLowerCase())
    let changed = false
    for (const inv of [...model.invitations.values()]) {
      if (user && inv.login === user.login && inv.org !== undefined) {
        model.invitations.delete(inv.id)
        audit(ctx, "org.cancel_invitation", "remove", { user: user.login, invitation_id: inv.id })
        changed = true
      }
    }
    if (!user || !isMember(user.login)) return changed ? applied : unchanged
    model.members.splice(model.members.indexOf(user.login), 1)
    model.owners.delete(user.login)
    for (const team of model.teams) {
      const i = team.members.indexOf(user.login)
      if (i >= 0) team.members.splice(i, 1)
    }
    // a removed member loses the org's repositories, their direct grants included
    for (const grants of model.direct.values()) grants.delete(user.login)
    audit(ctx, "org.remove_member", "remove", { user: user.login })
    return applied
  }

  /** The invitee accepts: the grant (or the membership and its teams) takes effect now. */
  const acceptInvitation = (ctx: WriteContext, id: number): WriteResult => {
    const found = model.invitations.get(id)
    if (!found) return refused(404, "Not Found")
    model.invitations.delete(id)
    // someone invited by email signs in with a login of their own (here: the address's local part)
    const inv = found.login !== "" ? found : { ...found, login: userOf((found.email ?? `user${found.id}`).split("@")[0]!.replace(/[^A-Za-z0-9-]/g, "-")).login }
    const as = { actor: inv.login, now: ctx.now }
    if (inv.repo) {
      const grants = model.direct.get(inv.repo.name) ?? new Map<string, Level>()
      model.direct.set(inv.repo.name, grants)
      grants.set(inv.login, inv.repo.level)
      if (!isMember(inv.login) && !model.outside.includes(inv.login)) model.outside.push(inv.login)
      audit(as, "repository_invitation.accept", "modify", { repo: repoRef(inv.repo.name), user: inv.login, invitation_id: inv.id })
      audit(as, "repo.add_member", "create", { repo: repoRef(inv.repo.name), user: inv.login, permission: roleNames[inv.repo.level] })
    }
    if (inv.org) {
      model.members.push(inv.login)
      const i = model.outside.indexOf(inv.login)
      if (i >= 0) model.outside.splice(i, 1)
      if (inv.org.role === "admin") model.owners.add(inv.login)
      audit(as, "org.add_member", "create", { user: inv.login, permission: inv.org.role === "admin" ? "admin" : "read" })
      for (const slug of inv.org.teams) joinTeam({ actor: inv.inviter, now: ctx.now }, slug, inv.login)
    }
    return applied
  }

  return {
    addCollaborator,
    removeCollaborator,
    setTeamMembership,
    removeTeamMembership,
    setTeamRepo,
    removeTeamRepo,
    setBasePermission,
    setOrgMembership,
    removeOrgMember,
    createOrgInvitation,
    cancelOrgInvitation,
    acceptInvitation
  }
}

export type Writes = ReturnType<typeof makeWrites>
