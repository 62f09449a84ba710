// A stand-in for the Kafka producer thread that exits before it is ready (a thread that cannot start).
process.exit(7)
