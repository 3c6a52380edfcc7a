// The script a worker thread runs (hart-pool.ts) when hartwood runs as modules, not as the CLI's bundle.
import { runHartWorker } from "./hart-worker.js";

runHartWorker();
