// The script a worker thread runs (hart-pool.ts) when hartwood runs as modules, not as the CLI's bundle.
import { parentPort } from "node:worker_threads";
import type { WorkerInit } from "./hart-channel.js";
import { runHartWorker } from "./hart-worker.js";

parentPort?.once("message", (init: WorkerInit) => runHartWorker(init));
