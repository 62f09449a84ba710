// The Kafka producer thread's entry (KafkaWorkerSink.ts starts it). Plain JavaScript, so Node starts it
// the same way however the program was launched (`node --import tsx main.ts`, vitest, an embedding
// program): it loads the TypeScript side through tsx's API, resolved from this file, not the cwd.
import { tsImport } from "tsx/esm/api"

// before anything in this thread loads kafkajs (KafkajsEncoder.ts says why)
const { installPooledEncoder } = await tsImport("./KafkajsEncoder.ts", import.meta.url)
installPooledEncoder()
await tsImport("./KafkaWorkerMain.ts", import.meta.url)
