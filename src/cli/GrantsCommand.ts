/** `grants list|changes`: the grants each connector holds now, and how they changed (the state database). */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { loadAppConfig } from "../app/AppConfig.js"
import { ExitCode } from "../app/ExitCode.js"
import * as Layers from "../app/Layers.js"
import type { CheckpointError } from "../domain/Errors.js"
import { encodeGrantChange, encodeGrantRecord, type GrantChange, type GrantRecord } from "../domain/Grant.js"
import { GrantStore } from "../services/GrantStore.js"
import { configOption } from "./Options.js"

const pageSize = 1000

const platformOption = Options.text("platform").pipe(Options.withDescription("the platform, such as github"))
const connectorOption = Options.text("connector").pipe(Options.optional, Options.withDescription("only this connector id"))
const jsonOption = Options.boolean("json").pipe(Options.withDescription("one JSON object per line (the wire form) instead of columns"))

const describeGrant = (g: GrantRecord) =>
  `${g.connectorId.padEnd(16)} ${g.principal.padEnd(20)} ${g.asset.padEnd(30)} ${g.privilege.padEnd(9)} ${g.mechanism.padEnd(7)} ` +
  `first ${g.firstSeenAt.toISOString()}  last ${g.lastSeenAt.toISOString()}  snapshot ${g.snapshotId}`

const describeChange = (c: GrantChange) => {
  const how = c.kind === "grant_changed" ? `  ${c.before?.mechanism ?? "?"} -> ${c.after?.mechanism ?? "?"}` : ""
  return `${c.detectedAt.toISOString()}  ${c.kind.padEnd(13)} ${c.connectorId.padEnd(16)} ${c.grantKey}${how}  ` +
    `snapshot ${c.beforeSnapshotId ?? "-"} -> ${c.afterSnapshotId ?? "-"}`
}

/** Run `body` against the configured state database; a database error is one line and exit code 1. */
const withStore = (file: Option.Option<string>, body: Effect.Effect<void, CheckpointError, GrantStore>) =>
  Effect.gen(function*() {
    const config = yield* loadAppConfig(file)
    yield* body.pipe(
      Effect.provide(Layers.checkpointStore(config)),
      Effect.catchTag("CheckpointError", (e) => Console.error(e.message).pipe(Effect.zipRight(new ExitCode({ code: 1 }))))
    )
  })

/** Follow the store's cursor to the end, printing each page as it comes; the number of items printed. */
const printPages = <A, E, R>(
  fetch: (cursor: { readonly cursor?: string }) => Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly nextCursor?: string | undefined }, E, R>,
  show: (a: A) => string
) =>
  Effect.gen(function*() {
    let cursor: string | undefined
    let total = 0
    do {
      const page = yield* fetch(cursor === undefined ? {} : { cursor })
      if (page.items.length > 0) yield* Console.log(page.items.map(show).join("\n"))
      total += page.items.length
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return total
  })

const listCommand = Command.make(
  "list",
  {
    platform: platformOption,
    principal: Options.text("principal").pipe(Options.optional, Options.withDescription("only this principal")),
    asset: Options.text("asset").pipe(Options.optional, Options.withDescription("only this asset, such as acme/api")),
    connector: connectorOption,
    json: jsonOption,
    config: configOption.pipe(Options.optional)
  },
  ({ asset, config, connector, json, platform, principal }) =>
    withStore(
      config,
      Effect.gen(function*() {
        const store = yield* GrantStore
        const total = yield* printPages(
          (page) => Effect.map(store.list({
              platform,
              limit: pageSize,
              ...Option.match(principal, { onNone: () => ({}), onSome: (p) => ({ principal: p }) }),
              ...Option.match(asset, { onNone: () => ({}), onSome: (a) => ({ asset: a }) }),
              ...Option.match(connector, { onNone: () => ({}), onSome: (c) => ({ connectorId: c }) }),
              ...page
            }), (p) => ({ items: p.grants, nextCursor: p.nextCursor })),
          (g) => json ? JSON.stringify(encodeGrantRecord(g)) : describeGrant(g)
        )
        if (!json) yield* Console.log(total === 0 ? "(no grants)" : `${total} grant${total === 1 ? "" : "s"}`)
      })
    )
).pipe(Command.withDescription("Print the grants the last snapshots saw, per connector (the state database; the embedded store under .verity/ without a DSN)"))

/** `--since` takes an ISO-8601 time, or a duration back from now such as `24 hours`. */
const parseSince = (text: string, now: number): Date | undefined => {
  const relative = /^(\d+)\s*(second|minute|hour|day)s?$/.exec(text.trim())
  if (relative !== null) {
    const unit = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[relative[2] as "second" | "minute" | "hour" | "day"]
    return new Date(now - Number(relative[1]) * unit)
  }
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : new Date(at)
}

const changesCommand = Command.make(
  "changes",
  {
    platform: platformOption,
    since: Options.text("since").pipe(
      Options.withDescription("changes detected at or after this time: ISO-8601 (2026-01-01T00:00:00Z) or a duration back (24 hours)")
    ),
    connector: connectorOption,
    json: jsonOption,
    config: configOption.pipe(Options.optional)
  },
  ({ config, connector, json, platform, since }) =>
    Effect.gen(function*() {
      const from = parseSince(since, Date.now())
      if (from === undefined) {
        yield* Console.error(`--since ${JSON.stringify(since)}: expected an ISO-8601 time such as 2026-01-01T00:00:00Z, or a duration such as "24 hours"`)
        return yield* new ExitCode({ code: 2 })
      }
      yield* withStore(
        config,
        Effect.gen(function*() {
          const store = yield* GrantStore
          const total = yield* printPages(
            (page) => Effect.map(store.changes({
                platform,
                since: from,
                limit: pageSize,
                ...Option.match(connector, { onNone: () => ({}), onSome: (c) => ({ connectorId: c }) }),
                ...page
              }), (p) => ({ items: p.changes, nextCursor: p.nextCursor })),
            (c) => json ? JSON.stringify(encodeGrantChange(c)) : describeChange(c)
          )
          if (!json) yield* Console.log(total === 0 ? `(no changes since ${from.toISOString()})` : `${total} change${total === 1 ? "" : "s"}`)
        })
      )
    })
).pipe(Command.withDescription("Print the grant changes (added, removed, mechanism changed) detected since a time"))

export const grantsCommand = Command.make("grants").pipe(
  Command.withDescription("Read the grants each connector holds now, and how they changed"),
  Command.withSubcommands([listCommand, changesCommand])
)
