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
): { readonly format: LogFormat; readonly level: LogLevelName } => ({
  format: isFormat(format) ? format : isFormat(env.VERITY_LOG_FORMAT) ? env.VERITY_LOG_FORMAT : "logfmt",
  level: isLevel(level) ? level : isLevel(env.VERITY_LOG_LEVEL?.toLowerCase()) ? (env.VERITY_LOG_LEVEL!.toLowerCase() as LogLevelName) : "info"
})

export const loggingLayer = (format: LogFormat, level: LogLevelName): Layer.Layer<never> => {
  const logger = format === "json"
    ? Logger.jsonLogger
    : format === "pretty"
    ? Logger.prettyLogger({ stderr: true })
    : Logger.logfmtLogger
  const sink = format === "pretty" ? logger : Logger.withConsoleError(logger)
  return Layer.merge(Logger.replace(Logger.defaultLogger, sink), Logger.minimumLogLevel(levelOf[level]))
}
