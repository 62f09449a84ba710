/**
 * The memory benchmark's entry, launched as main.ts launches `run`: the heap-limit check runs first
 * (src/app/HeapLimits.ts, the same function), and only the process that does the work loads the rest.
 *   node --import tsx bench/memoryLaunch.ts <events> <brokers> <dsn>
 */
import { relaunchWithHeapLimits } from "../src/app/HeapLimits.js"

if (!relaunchWithHeapLimits()) await import("./memoryChild.js")
