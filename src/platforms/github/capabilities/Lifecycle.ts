/**
 * GitHub's account lifecycle, as an organization has it (an account is a person's org membership, not
 * their GitHub user, which the org does not own):
 *   - create_account: invite to the org (`POST /orgs/{org}/invitations`, by login or email); the
 *     account is PENDING until the invitee accepts;
 *   - update_account: the org role (`custom_attributes.org_role`: admin or member), `PUT
 *     /orgs/{org}/memberships/{username}`; a profile field is not the org's to change;
 *   - delete_account: a member removed (`DELETE /orgs/{org}/members/{username}`) or a pending invitation
 *     withdrawn (`DELETE /orgs/{org}/invitations/{invitation_id}`; `invitation:<id>` names one by email);
 *   - list_custom_attributes_schema: `org_role`, the one attribute these capabilities read and write.
 */
import { Effect, Option, Schema, Stream } from "effect"
import type { ConnectorError } from "../../../domain/Errors.js"
import { CapabilityError } from "../../../sdk/capabilities/Errors.js"
import type { CapabilityHandler } from "../../../sdk/capabilities/Executor.js"
import { CreatedAccount, CustomAttributeSchema, DeletedAccount, UpdatedAccount } from "../../../sdk/capabilities/Records.js"
import {
  CreateAccountResponse,
  DeleteAccountResponse,
  ListCustomAttributesSchemaResponse,
  UpdateAccountResponse
} from "../../../sdk/capabilities/Responses.js"
import type { GitHubClient } from "../Client.js"
import { OrgInvitation, OrgMembership, Organization, PublicUser } from "../Payloads.js"
import { type GitHubCapabilitySettings, orgRoleAttribute, withClient } from "./Common.js"
const orgRoles = ["admin", "member"] as const

const invalid = (message: string) => new CapabilityError({ code: "invalid_value", raisedBy: "ValueError", message })
/** GitHub's 404 as the capability's not_found, saying what was missing */
const notFoundAs = (message: string) => <A, E extends ConnectorError | CapabilityError, R>(self: Effect.Effect<A, E, R>) =>
  Effect.catchIf(
    self,
    (e) => e._tag === "ConnectorError" && e.status === 404,
    () => Effect.fail(new CapabilityError({ code: "not_found", raisedBy: "NotFoundError", message, status: 404 }))
  )

/** the JSON a write answered with, decoded (GitHub's answer not matching is an `invalid_response`) */
const bodyOf = <A, I>(schema: Schema.Schema<A, I, never>, what: string) => (response: { readonly json: Effect.Effect<unknown, unknown> }) =>
  response.json.pipe(
    Effect.flatMap(Schema.decodeUnknown(schema)),
    Effect.mapError(() => new CapabilityError({ code: "invalid_response", raisedBy: "InvalidResponse", message: `GitHub's answer to ${what} was not what GitHub documents` }))
  )

const membershipOf = (client: GitHubClient, org: string, login: string) =>
  client.getJson("core", `/orgs/${org}/memberships/${encodeURIComponent(login)}`, OrgMembership, `read ${login}'s membership of ${org}`).pipe(
    Effect.map(({ body }) => body),
    notFoundAs(`${login} is neither a member of nor invited to the ${org} organization`)
  )

export const createAccount: CapabilityHandler<"create_account", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    Effect.gen(function*() {
      const { username, email, entitlements } = req.request
      if (entitlements.length > 0) {
        return yield* new CapabilityError({
          code: "unsupported_operation",
          raisedBy: "UnsupportedEntitlement",
          message: "GitHub grants nothing to an invitation: create the account, then assign_entitlement once the invitee has accepted"
        })
      }
      if (!username && !email) return yield* invalid("create_account invites to the organization by `username` (a GitHub login) or `email`")
      // GitHub's invitation names a user by id: a login is looked up first
      const invitee = username
        ? yield* client.getJson("core", `/users/${encodeURIComponent(username)}`, PublicUser, `look up the GitHub user ${username}`).pipe(
          Effect.map(({ body }) => ({ invitee_id: body.id })),
          notFoundAs(`there is no GitHub user named ${username}`)
        )
        : { email }
      const what = `invite ${username ?? email} to ${settings.org}`
      const invitation = yield* client.write("POST", `/orgs/${settings.org}/invitations`, { ...invitee, role: "direct_member" }, what).pipe(
        Effect.flatMap(bodyOf(OrgInvitation, what))
      )
      return new CreateAccountResponse({
        // an invitation by email has no login until it is accepted: its id names it
        response: new CreatedAccount({ id: invitation.login ?? `invitation:${invitation.id}`, status: "PENDING", created: true }),
        raw_data: invitation
      })
    }))

export const updateAccount: CapabilityHandler<"update_account", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    Effect.gen(function*() {
      const r = req.request
      const profile = (["email", "given_name", "family_name", "username", "user_status"] as const).filter((k) => r[k] !== undefined && r[k] !== null)
      if (profile.length > 0) {
        return yield* new CapabilityError({
          code: "unsupported_operation",
          raisedBy: "UnsupportedField",
          message: `an organization cannot change a GitHub user's ${profile.join(", ")}; update_account changes custom_attributes.${orgRoleAttribute} (${orgRoles.join(" or ")})`
        })
      }
      const attributes = r.custom_attributes ?? {}
      const unknown = Object.keys(attributes).filter((k) => k !== orgRoleAttribute)
      if (unknown.length > 0) return yield* invalid(`unknown custom attributes ${unknown.join(", ")}: GitHub accounts have ${orgRoleAttribute}`)
      const role = attributes[orgRoleAttribute]
      if (role === undefined) return yield* invalid(`nothing to change: set custom_attributes.${orgRoleAttribute} (${orgRoles.join(" or ")})`)
      if (role !== "admin" && role !== "member") return yield* invalid(`${orgRoleAttribute} must be ${orgRoles.join(" or ")} (got "${role}")`)
      // only someone already in the org (or invited) is updated: the same PUT would invite a stranger
      yield* membershipOf(client, settings.org, r.id)
      const what = `make ${r.id} ${role === "admin" ? "an owner" : "a member"} of ${settings.org}`
      const membership = yield* client.write("PUT", `/orgs/${settings.org}/memberships/${encodeURIComponent(r.id)}`, { role }, what).pipe(
        Effect.flatMap(bodyOf(OrgMembership, what))
      )
      return new UpdateAccountResponse({ response: new UpdatedAccount({ id: r.id }), raw_data: membership })
    }))

const withdraw = (client: GitHubClient, org: string, id: number, who: string) =>
  client.write("DELETE", `/orgs/${org}/invitations/${id}`, undefined, `withdraw ${who}'s invitation to ${org}`).pipe(
    notFoundAs(`no pending invitation ${id} to the ${org} organization`)
  )

/** the pending org invitation of `login`, paging through the org's invitations */
const invitationOf = (client: GitHubClient, org: string, login: string) =>
  client.pages("core", `/orgs/${org}/invitations?per_page=100`, `list the invitations to ${org}`).pipe(
    Stream.flatMap((items) => Stream.fromIterable(items)),
    Stream.filterMap((item) => Option.getRight(Schema.decodeUnknownEither(OrgInvitation)(item))),
    Stream.filter((i) => i.login !== null && i.login.toLowerCase() === login.toLowerCase()),
    Stream.runHead
  )

export const deleteAccount: CapabilityHandler<"delete_account", GitHubCapabilitySettings> = (req, settings) =>
  withClient(req.auth, settings, 1, (client) =>
    Effect.gen(function*() {
      const id = req.request.account_id
      const byId = /^invitation:(\d+)$/.exec(id)
      if (byId) {
        yield* withdraw(client, settings.org, Number(byId[1]), id)
      } else if ((yield* membershipOf(client, settings.org, id)).state === "active") {
        yield* client.write("DELETE", `/orgs/${settings.org}/members/${encodeURIComponent(id)}`, undefined, `remove ${id} from ${settings.org}`)
      } else {
        const pending = yield* invitationOf(client, settings.org, id)
        if (Option.isNone(pending)) {
          return yield* new CapabilityError({ code: "not_found", raisedBy: "NotFoundError", message: `${id}'s invitation to ${settings.org} is gone` })
        }
        yield* withdraw(client, settings.org, pending.value.id, id)
      }
      return new DeleteAccountResponse({ response: new DeletedAccount({ status: "DELETED", deleted: true }) })
    }))

export const listCustomAttributesSchema: CapabilityHandler<"list_custom_attributes_schema", GitHubCapabilitySettings> = (req, settings) =>
  // the org is read so that a wrong token or org is told here, not at the first update
  withClient(req.auth, settings, 1, (client) =>
    client.getJson("core", `/orgs/${settings.org}`, Organization, `read organization ${settings.org}`).pipe(
      Effect.as(
        new ListCustomAttributesSchemaResponse({
          response: [
            new CustomAttributeSchema({
              customized_type: "account",
              name: orgRoleAttribute,
              attribute_type: "string",
              description: `The account's role in the organization: admin (an owner) or member. list_accounts and get_account say it when asked; update_account changes it.`
            })
          ]
        })
      )
    ))
