/**
 * What the bad-input suite saw: every stdout and stderr of every child process and every log line
 * captured in-process, kept so a last test can prove that no configured secret ever appeared in any
 * of it. The secrets are distinctive canaries, unlikely to occur by accident.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { type CliOptions, type CliResult, runCli, runInProcess } from "./Cli.js"

const nonce = Math.random().toString(36).slice(2, 10)

/** The configured secrets: tokens and DSN passwords the suite hands to the program. */
export const secrets = {
  githubToken: `ghp_SECRET_canary_github_${nonce}`,
  githubWrongToken: `ghp_SECRET_canary_wrong_${nonce}`,
  mockappToken: `mock_SECRET_canary_valid_${nonce}`,
  mockappWrongToken: `mock_SECRET_canary_wrong_${nonce}`,
  dsnPassword: `PW_SECRET_canary_${nonce}`,
  saslPassword: `SASL_SECRET_canary_${nonce}`
} as const

export const allSecrets: ReadonlyArray<string> = Object.values(secrets)

export interface Collected {
  readonly label: string
  readonly text: string
}

const collected: Array<Collected> = []

export const record = (label: string, text: string): void => {
  collected.push({ label, text })
}

export const everything = (): ReadonlyArray<Collected> => collected

/** The secrets found in anything collected, with where (empty when none leaked). */
export const leaks = (items: ReadonlyArray<Collected> = collected): ReadonlyArray<string> =>
  items.flatMap((c) => allSecrets.filter((s) => c.text.includes(s)).map((s) => `${c.label}: ${s.slice(0, 20)}...`))

/** Run the real program as a child process and keep its output for the secrets check. */
export const cli = (label: string, args: ReadonlyArray<string>, options: CliOptions = {}): Effect.Effect<CliResult> =>
  runCli(args, { timeoutMs: 120_000, ...options }).pipe(
    Effect.tap((r) =>
      Effect.sync(() => {
        record(`${label} (stdout)`, r.stdout)
        record(`${label} (stderr)`, r.stderr)
      })
    )
  )

/** Run the same program in this process (test/support/Cli.ts `runInProcess`) and keep its output for the secrets check. */
export const cliInProcess = (label: string, args: ReadonlyArray<string>, options: CliOptions = {}): Effect.Effect<CliResult> =>
  runInProcess(args, options).pipe(
    Effect.tap((r) =>
      Effect.sync(() => {
        record(`${label} (stdout)`, r.stdout)
        record(`${label} (stderr)`, r.stderr)
      })
    )
  )

/** A temp dir per suite; config files and data dirs live there. */
export const makeWorkDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {
    dir,
    path: (name: string) => join(dir, name),
    write: (name: string, content: unknown) => {
      const path = join(dir, name)
      writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2))
      return path
    }
  }
}

/** A logger that keeps every line (all levels, logfmt and JSON renderings) for the secrets check. */
export const capturingLogger = (label: string) => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    const line = `${Logger.logfmtLogger.log(options)} ${Logger.jsonLogger.log(options)}`
    lines.push(line)
    record(`${label} (log)`, line)
  })
  const layer = Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All))
  return { lines, layer }
}
