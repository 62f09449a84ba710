/**
 * A cheaper kafkajs 2.2.4 `Encoder` for the producer thread's private copy of kafkajs. kafkajs builds
 * every record, header and varint in a fresh zero-filled `Buffer.alloc` (an ArrayBuffer of its own, at
 * least 512 bytes, per record and per header) and every varint through an array and `Buffer.from`; in
 * the producer thread that was a fifth of its time, and its garbage kept the collector's helper threads
 * busier than either JavaScript thread.
 *
 * The replacement writes the same bytes (test/adapters/KafkajsEncoder.test.ts compares whole produce
 * requests) from Node's pooled `Buffer.allocUnsafe` (an encoder only ever exposes the bytes it wrote),
 * and writes varints in place. Only the producer thread installs it: kafkajs there is loaded by that
 * thread alone, while on the program's thread an embedding program may share the module.
 */
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/** What of kafkajs's Encoder the replacement uses or replaces. */
interface EncoderInstance {
  buf: Buffer
  offset: number
}
export interface EncoderClass {
  new(initialSize?: number): EncoderInstance
  readonly prototype: EncoderInstance & Record<string, unknown>
  nextPowerOfTwo(value: number): number
  sizeOfVarInt(value: number): number
  sizeOfVarIntBytes(value: string | Buffer | null | undefined): number
}

const encoderPath = require.resolve("kafkajs/src/protocol/encoder.js")
const recordPath = require.resolve("kafkajs/src/protocol/recordBatch/record/v0/index.js")
const version: unknown = require("kafkajs/package.json").version

/** The version whose Encoder this was written against and tested on. */
export const kafkajsVersion = "2.2.4"

/** Marks the replacement class; `Symbol.for`, so any module instance of this file recognises it. */
const marker = Symbol.for("verity/KafkajsEncoder")

const MSB = 0x80
const LOW7 = 0x7f
const HIGH = 0xffffff80

function ensureAvailable(this: EncoderInstance, length: number): void {
  const needed = this.offset + length
  if (needed > this.buf.length) {
    const grown = Buffer.allocUnsafe(1 << (32 - Math.clz32(needed)))
    this.buf.copy(grown, 0, 0, this.offset)
    this.buf = grown
  }
}

function writeUVarInt(this: EncoderInstance & { ensureAvailable(n: number): void }, value: number) {
  this.ensureAvailable(5)
  const buf = this.buf
  let o = this.offset
  while ((value & HIGH) !== 0) {
    buf[o++] = (value & LOW7) | MSB
    value >>>= 7
  }
  buf[o++] = value & LOW7
  this.offset = o
  return this
}

function writeEncoderArray(this: EncoderInstance & { ensureAvailable(n: number): void }, value: unknown) {
  if (!Array.isArray(value) || value.some((v: Partial<EncoderInstance> | null) => v == null || !Buffer.isBuffer(v.buf))) {
    throw new Error("all values should be an instance of Encoder[]")
  }
  const encoders = value as ReadonlyArray<EncoderInstance>
  // one allocation for the whole array: kafkajs grows a batch's buffer by doubling, copying each time
  let total = 0
  for (const e of encoders) total += e.offset
  this.ensureAvailable(total)
  for (const e of encoders) {
    e.buf.copy(this.buf, this.offset, 0, e.offset)
    this.offset += e.offset
  }
  return this
}

/** Build the replacement from the loaded class: its prototype, with the allocation paths swapped. */
export const pooledEncoder = <C extends EncoderClass>(Original: C): C => {
  const Pooled = function(this: EncoderInstance, initialSize = 511) {
    this.buf = Buffer.allocUnsafe(Original.nextPowerOfTwo(initialSize))
    this.offset = 0
  } as unknown as C
  const prototype = Object.create(Original.prototype) as Record<string, unknown>
  prototype.ensureAvailable = ensureAvailable
  prototype.writeUVarInt = writeUVarInt
  prototype.writeEncoderArray = writeEncoderArray
  Object.defineProperty(Pooled, "prototype", { value: prototype })
  Object.defineProperty(prototype, "constructor", { value: Pooled })
  // the static helpers (sizeOfVarInt, encodeZigZag, ...) through the prototype chain
  Object.setPrototypeOf(Pooled, Original)
  Object.defineProperty(Pooled, marker, { value: true })
  return Pooled
}

interface Writer extends EncoderInstance {
  writeVarInt(value: number): Writer
  writeInt8(value: number): Writer
  writeVarIntBytes(value: string | Buffer | null | undefined): Writer
  writeVarIntString(value: string): Writer
}
type RecordArgs = Readonly<Record<string, unknown>>
type RecordEncoder = (args: RecordArgs) => unknown

const isBytes = (value: unknown): value is string | Buffer | null | undefined =>
  value == null || typeof value === "string" || Buffer.isBuffer(value)
/** within this range a varlong (64-bit zigzag) has the same bytes as a varint */
const SMALL = 0x40000000

/**
 * kafkajs's record v0 encoder (recordBatch/record/v0) writing into one buffer of the record's size,
 * headers inline instead of one 512-byte encoder each. Records it was not written for (header values
 * in arrays, keys or values that are neither strings nor Buffers, timestamp deltas past 2^30 ms) go to
 * kafkajs's own.
 */
export const directRecord = (Encoder: EncoderClass, original: RecordEncoder): RecordEncoder => (args) => {
  const offsetDelta = args.offsetDelta ?? 0
  const timestampDelta = args.timestampDelta ?? 0
  const { headers = {}, key, value } = args
  if (
    typeof offsetDelta !== "number" || !Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta >= SMALL ||
    typeof timestampDelta !== "number" || !Number.isInteger(timestampDelta) || timestampDelta < -SMALL || timestampDelta >= SMALL ||
    !isBytes(key) || !isBytes(value) || typeof headers !== "object" || headers === null
  ) return original(args)
  const named = headers as Readonly<Record<string, unknown>>
  const names = Object.keys(named)
  // kafkajs's own size helpers; in this range a varlong is as long as a varint
  let size = 1 + Encoder.sizeOfVarInt(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) + Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) + Encoder.sizeOfVarInt(names.length)
  for (const name of names) {
    const v = named[name]
    if (typeof v !== "string" && !Buffer.isBuffer(v)) return original(args)
    size += Encoder.sizeOfVarIntBytes(name) + Encoder.sizeOfVarIntBytes(v)
  }
  const out = new Encoder(size + 5) as Writer
  out.writeVarInt(size).writeInt8(0).writeVarInt(timestampDelta).writeVarInt(offsetDelta).writeVarIntBytes(key).writeVarIntBytes(value)
  out.writeVarInt(names.length)
  for (const name of names) out.writeVarIntString(name).writeVarIntBytes(named[name] as string | Buffer)
  return out
}

/**
 * Put the replacement where every kafkajs module's `require('.../encoder')` finds it. Call before
 * kafkajs is first loaded in this thread; another kafkajs version is left as it is.
 */
export const installPooledEncoder = (): boolean => {
  if (pooledEncoderInstalled()) return true
  if (version !== kafkajsVersion) return false
  const Original = require(encoderPath) as EncoderClass
  const cachedEncoder = require.cache[encoderPath]
  if (cachedEncoder === undefined) return false
  const Pooled = pooledEncoder(Original)
  cachedEncoder.exports = Pooled
  const originalRecord = require(recordPath) as RecordEncoder
  const cachedRecord = require.cache[recordPath]
  if (cachedRecord === undefined) return false
  cachedRecord.exports = directRecord(Pooled, originalRecord)
  return true
}

/** Whether this thread's kafkajs encodes with the replacement (the producer thread logs it at start). */
export const pooledEncoderInstalled = (): boolean => {
  const exported: unknown = require.cache[encoderPath]?.exports
  return typeof exported === "function" && marker in exported
}

/** The kafkajs version this thread loaded. */
export const loadedKafkajsVersion = (): string => String(version)
