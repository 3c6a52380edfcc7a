// Runs the hartwood CLI from source (the tests start it with vite-node, so dist/ need not be built).
import { main } from "../../../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
