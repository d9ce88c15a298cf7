import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHelp } from './help.js';

const FLAGS = [
  { name: 'port', help: 'port to listen on', type: 'int' },
  { name: 'v', help: 'verbosity', type: 'int' },
  { name: 'tls', help: 'serve TLS', type: 'bool' },
];
const argLabel = (f: { type: string }) => (f.type === 'bool' ? '' : ` ${f.type}`);

test('column layout: one line a flag, single-letter flags with one dash', () => {
  const text = renderHelp({ header: ['Usage: x', 'Flags:'], flags: FLAGS, argLabel, columnWidth: 12 });
  assert.equal(
    text,
    'Usage: x\nFlags:\n  --port int   port to listen on\n  -v int       verbosity\n  --tls        serve TLS\n',
  );
});

test('stacked layout with a describe hook and a footer', () => {
  const text = renderHelp({
    header: ['Usage: x'],
    flags: FLAGS.slice(0, 1),
    argLabel,
    describe: (f) => `${f.help} (default 80)`,
    footer: ['  -h, --help', '      Show this help.'],
  });
  assert.equal(
    text,
    'Usage: x\n  --port int\n      port to listen on (default 80)\n  -h, --help\n      Show this help.\n',
  );
});
