/**
 * Structured logs on stderr (stdout stays for summaries and command output): logfmt by default, JSON
 * lines with `--log-format json`, and a minimum level. `VERITY_LOG_FORMAT` / `VERITY_LOG_LEVEL` set the
 * same when the options are not given.
 */
import { Layer, Logger, LogLevel } from "effect"

export const logFormats = ["logfmt", "json", "pretty"] as const
export type LogFormat = (typeof logFormats)[number]

export const logLevels = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const
export type LogLevelName = (typeof logLevels)[number]

const levelOf: Record<LogLevelName, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

const isFormat = (s: string | undefined): s is LogFormat => s !== undefined && (logFormats as ReadonlyArray<string>).includes(s)
const isLevel = (s: string | undefined): s is LogLevelName => s !== undefined && (logLevels as ReadonlyArray<string>).includes(s)

/** The format and level to use: explicit choices first, then the environment, then logfmt at info. */
export const resolveLogging = (
  format: string | undefined,
  level: string | undefined,
  env: Readonly<Record<string, string | undefined>> = {}
): { readonly format: LogFormat; readonly level: LogLevelName | undefined } => {
  const fromEnv = env.VERITY_LOG_LEVEL?.toLowerCase()
  return {
    format: isFormat(format) ? format : isFormat(env.VERITY_LOG_FORMAT) ? env.VERITY_LOG_FORMAT : "logfmt",
    level: isLevel(level) ? level : isLevel(fromEnv) ? fromEnv : undefined
  }
}

/**
 * `level` undefined leaves the minimum level alone: @effect/cli's own built-in `--log-level` option (which
 * takes the same names, after any command) sets it then, and Effect's default is `info`.
 */
export const loggingLayer = (format: LogFormat, level: LogLevelName | undefined): Layer.Layer<never> => {
  const logger = format === "json"
    ? Logger.jsonLogger
    : format === "pretty"
    ? Logger.prettyLogger({ stderr: true })
    : Logger.logfmtLogger
  const sink = format === "pretty" ? logger : Logger.withConsoleError(logger)
  const replaced = Logger.replace(Logger.defaultLogger, sink)
  return level === undefined ? replaced : Layer.merge(replaced, Logger.minimumLogLevel(levelOf[level]))
}
