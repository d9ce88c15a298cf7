// Entry point of the igw-bbr bin (bin/igw-bbr.mjs imports this file).
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Open handles (gRPC channels) must not keep a finished process alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`igw-bbr: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
