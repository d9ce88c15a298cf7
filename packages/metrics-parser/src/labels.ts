// Decodes one escaped label value of a line the WASM scanner already validated (`\\`, `\"`, `\n` escapes).

export function decodeLabelValue(bytes: Buffer, start: number, end: number): string {
  const text = bytes.toString('utf8', start, end);
  return text.includes('\\') ? text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : text;
}
