/**
 * Which subcommand the arguments name, read before anything else loads: the CLI loads only that
 * command's modules, and main.ts gives `run` and `demo` their heap limits. No imports: this runs first.
 */

/** Every subcommand, in the order the root's help lists them. */
export const commandNames = ["run", "demo", "simulate", "connector", "checkpoint", "grants", "scaffold"] as const
export type CommandName = typeof commandNames[number]

const globalOptionsWithValue = ["--log-format", "--log-level"]

const isCommandName = (word: string): word is CommandName => commandNames.some((name) => name === word)

/** The subcommand the arguments (after node and the script) name, after the global options; if any. */
export const commandNamed = (args: ReadonlyArray<string>): CommandName | undefined => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (globalOptionsWithValue.includes(arg)) {
      i++
      continue
    }
    if (globalOptionsWithValue.some((o) => arg.startsWith(`${o}=`))) continue
    return isCommandName(arg) ? arg : undefined
  }
  return undefined
}
