/**
 * Live progress for the demo: permanent log lines plus one status line that updates
 * in place on a terminal. Without a terminal (CI, a pipe) the status line is printed
 * only when it changes, at most every `plainEvery` ms, so logs stay readable.
 */
export class Progress {
  private status = '';
  private lastPlain = 0;
  private lastPlainText = '';
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly plainEvery = 1000,
  ) {
    this.tty = out.isTTY === true;
  }

  /** Prints a permanent line above the status line. */
  log(line: string): void {
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line}\n${this.status}`);
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Replaces the status line. */
  update(status: string): void {
    this.status = status;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${status}`);
      return;
    }
    const now = Date.now();
    if (status !== this.lastPlainText && now - this.lastPlain >= this.plainEvery) {
      this.lastPlain = now;
      this.lastPlainText = status;
      this.out.write(`  … ${status}\n`);
    }
  }

  /** Ends the status line: keeps its last text as a permanent line. */
  done(final = this.status): void {
    if (this.tty) this.out.write(`\r\x1b[2K${final}\n`);
    else this.out.write(`  ✓ ${final}\n`);
    this.status = '';
  }
}

/** A text progress bar: `[#####.....] 5/10`. */
export function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
