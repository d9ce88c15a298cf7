// Decodes the label section of a line the WASM scanner already validated: `a="x",b="y\"z"` -> { a: 'x', b: 'y"z' }.
// Later duplicates win (the scanner accepts duplicate names; a page that has them is broken anyway).

export function decodeLabelSection(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === ',')) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && text[i] !== '=' && text[i] !== ' ' && text[i] !== '\t') i++;
    const name = text.slice(nameStart, i);
    while (i < n && text[i] !== '"') i++;
    i++;
    let value = '';
    let chunk = i;
    while (i < n && text[i] !== '"') {
      if (text[i] === '\\') {
        value += text.slice(chunk, i);
        const e = text[i + 1];
        value += e === 'n' ? '\n' : (e ?? '');
        i += 2;
        chunk = i;
      } else {
        i++;
      }
    }
    value += text.slice(chunk, i);
    i++;
    out[name] = value;
  }
  return out;
}
