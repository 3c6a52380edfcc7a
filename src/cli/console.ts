// The guest console on the host terminal, as QEMU's -nographic gives it: raw mode on a TTY,
// with Ctrl-A as the escape key (Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A Ctrl-A sends
// one Ctrl-A). Piped or redirected input passes through byte for byte, in order.

const CTRL_A = 0x01;

const HELP =
  "\r\nC-a h    print this help\r\n" + "C-a x    exit the machine\r\n" + "C-a C-a  send C-a to the guest\r\n";

export interface ConsoleHooks {
  /** Bytes for the guest. */
  input(bytes: Uint8Array): void;
  /** Ctrl-A x. */
  quit(): void;
  /** stdin reached its end (a pipe or file): no more input will come. */
  end(): void;
}

export class HostConsole {
  private escaped = false;
  private readonly raw: boolean;
  private readonly onData = (chunk: Buffer) => this.data(chunk);
  private readonly onEnd = () => this.hooks.end();

  constructor(private readonly hooks: ConsoleHooks) {
    const stdin = process.stdin;
    this.raw = stdin.isTTY === true;
    if (this.raw) stdin.setRawMode(true);
    stdin.on("data", this.onData);
    stdin.on("end", this.onEnd);
    stdin.resume();
  }

  /** Output is gathered and written once per turn of the event loop (a byte per write is slow). */
  write(bytes: Uint8Array): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(Buffer.from(bytes));
  }
  private pending: Buffer[] = [];

  flush(): void {
    if (this.pending.length === 0) return;
    process.stdout.write(Buffer.concat(this.pending.splice(0)));
  }

  private data(chunk: Buffer): void {
    if (!this.raw) {
      this.hooks.input(new Uint8Array(chunk));
      return;
    }
    const pass: number[] = [];
    for (const b of chunk) {
      if (this.escaped) {
        this.escaped = false;
        if (b === 0x78 /* x */) {
          process.stderr.write("\r\nhartwood: terminated by C-a x\r\n");
          this.hooks.quit();
          return;
        }
        if (b === 0x68 /* h */ || b === 0x3f /* ? */) process.stderr.write(HELP);
        else if (b === CTRL_A) pass.push(CTRL_A);
        continue;
      }
      if (b === CTRL_A) this.escaped = true;
      else pass.push(b);
    }
    if (pass.length) this.hooks.input(Uint8Array.from(pass));
  }

  /** Gives the terminal back as it was. */
  close(): void {
    this.flush();
    const stdin = process.stdin;
    stdin.off("data", this.onData);
    stdin.off("end", this.onEnd);
    if (this.raw) stdin.setRawMode(false);
    stdin.pause();
  }
}
