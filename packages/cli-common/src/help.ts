// --help text from a flag table, in one of the two layouts the igw programs use: one line per flag with the
// help in a column, or (for long help texts) the flag on its own line and the help indented below it.

export interface HelpFlag {
  name: string;
  help: string;
}

export interface HelpOptions<F extends HelpFlag> {
  /** Lines before the flags (usage, description, a "Flags:" heading). */
  header: readonly string[];
  flags: readonly F[];
  /** What follows the flag name: ` int`, ` string`, '' for a boolean. */
  argLabel: (flag: F) => string;
  /** The help shown for a flag (default: `flag.help`). */
  describe?: (flag: F) => string;
  /** One line per flag, `--name arg` padded to this width; without it the help goes on the next line. */
  columnWidth?: number;
  /** Lines after the flags. */
  footer?: readonly string[];
}

/** Single-letter flags are shown with one dash (`-v`), the others with two, as pflag prints them. */
export function flagLabel(name: string): string {
  return `${name.length === 1 ? '-' : '--'}${name}`;
}

export function renderHelp<F extends HelpFlag>(o: HelpOptions<F>): string {
  const lines = [...o.header];
  for (const f of o.flags) {
    const cell = `${flagLabel(f.name)}${o.argLabel(f)}`;
    const help = o.describe ? o.describe(f) : f.help;
    if (o.columnWidth === undefined) lines.push(`  ${cell}`, `      ${help}`);
    else lines.push(`  ${cell.padEnd(o.columnWidth)} ${help}`);
  }
  lines.push(...(o.footer ?? []));
  return `${lines.join('\n')}\n`;
}
