// bbr_info labels: the commit comes from the build environment (IGW_COMMIT), the ref from the package version.
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

export const BUILD_INFO = {
  commit: process.env.IGW_COMMIT ?? 'unknown',
  buildRef: `v${packageVersion()}`,
};
