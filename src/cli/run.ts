// `hartwood run`'s command line: the flags of user mode, handed to modes/user.
import type { Command } from "commander";
import type { InterpreterTiers } from "../arch/riscv/cpu.js";
import { compileStatsLine } from "../core/jit/compile-stats.js";
import { UserError } from "../core/errors.js";
import { run as runUser, signalName, DEFAULT_ROOT, type Bind } from "../modes/user/index.js";
import { addJitFlags, jitOptions, type JitFlags } from "./jit-flags.js";

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

interface RunFlags extends JitFlags {
  root?: string;
  bind?: string[];
  roBind?: string[];
  cwd: boolean;
  jit: boolean;
  env?: string[];
  strace?: boolean;
  net: string;
  threads?: string;
}

/** "src" or "src:/dst" (the guest side is absolute, so a ':' inside src is kept). */
function bind(spec: string, readOnly: boolean): Bind {
  const i = spec.lastIndexOf(":/");
  const flag = readOnly ? "--ro-bind" : "--bind";
  if (spec === "" || i === 0) throw new UserError(`${flag} expects src[:dst], got '${spec}'`);
  return i > 0 ? { host: spec.slice(0, i), guest: spec.slice(i + 1), readOnly } : { host: spec, readOnly };
}

/** What the program that runs the CLI (bin/hartwood.js) knows about the engine it set up. */
export interface EngineHooks {
  /** How `run` has the interpreter compiled, with the recompiler (`jit`) or without. */
  interpreterTiers?: (jit: boolean) => InterpreterTiers;
  /** How `run` has the recompiler's dispatcher compiled (JitOptions.compileDispatcher). */
  compileDispatcher?: (bytes: Uint8Array) => WebAssembly.Module;
}

/** Adds `run` to `program`; `done` gets the exit status a run ends with. */
export function addRunCommand(program: Command, engine: EngineHooks, done: (status: number) => void): void {
  const run = program
    .command("run")
    .description("run a riscv64 Linux program in user mode (like qemu-riscv64)")
    .argument("<program>", "the riscv64 Linux ELF (static or dynamic)")
    .argument("[args...]", "its arguments")
    .option(
      "--root <dir>",
      `the guest's "/", read-write; nothing outside it is visible unless bound (default: ${DEFAULT_ROOT}, read-only, if it exists)`,
    )
    .option(
      "--bind <src[:dst]>",
      "show host directory or file src at guest path dst (default: the same path), read-write (repeatable)",
      collect,
    ) // prettier-ignore
    .option("--ro-bind <src[:dst]>", "the same, read-only (repeatable)", collect)
    .option("--no-cwd", "do not show the working directory to the guest (it starts in /)")
    .option("--env <K=V>", "set a variable in the guest's environment (repeatable)", collect)
    .option(
      "--net <mode>",
      "the guest's network: none (internet sockets fail with EACCES) or host (the host's network and its loopback services)",
      "none",
    )
    .option("--strace", "print every syscall with its arguments and result to stderr")
    .option(
      "--threads <mode>",
      "how the guest's threads share the host: parallel (default: on worker threads too, one per further core) or turns (all on one host thread)",
    )
    .option("--no-jit", "interpret every instruction (no translation of hot code to wasm)");
  addJitFlags(run)
    .passThroughOptions()
    .action(async (file: string, args: string[], opts: RunFlags) => {
      const env = new Map(Object.entries(process.env).map(([k, v]) => [k, v ?? ""]));
      for (const kv of opts.env ?? []) {
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UserError(`--env expects K=V, got '${kv}'`);
        env.set(kv.slice(0, eq), kv.slice(eq + 1));
      }
      if (opts.net !== "none" && opts.net !== "host")
        throw new UserError(`--net expects none or host, got '${opts.net}'`);
      if (opts.threads !== undefined && opts.threads !== "turns" && opts.threads !== "parallel")
        throw new UserError(`--threads expects turns or parallel, got '${opts.threads}'`);
      const r = await runUser({
        program: file,
        args,
        env: [...env].map(([k, v]) => `${k}=${v}`),
        root: opts.root,
        binds: [
          ...(opts.bind ?? []).map((b) => bind(b, false)),
          ...(opts.roBind ?? []).map((b) => bind(b, true)),
        ],
        exposeCwd: opts.cwd,
        jit: opts.jit,
        jitOptions: { ...jitOptions(opts), compileDispatcher: engine.compileDispatcher },
        interpreterTiers: engine.interpreterTiers?.(opts.jit),
        strace: opts.strace,
        network: opts.net,
        threads: opts.threads as "turns" | "parallel" | undefined,
      });
      if (r.signal)
        process.stderr.write(`hartwood: guest killed by signal ${r.signal} (${signalName(r.signal)})\n`);
      if (process.env.HARTWOOD_JIT_STATS === "1") {
        process.stderr.write(compileStatsLine(r.jit ?? { translations: r.translations }));
        if (r.workerTurns > 0)
          process.stderr.write(
            `hartwood: ${r.workerTurns} turns of guest threads on worker threads (${r.workersAhead} started ahead)\n`,
          );
      }
      done(r.status);
    });
}
