// Decodes one escaped label value of a line the WASM scanner already validated (`\\`, `\"`, `\n` escapes).

const MAX_INLINE = 48;

export function decodeLabelValue(bytes: Buffer, start: number, end: number): string {
  // Short ASCII values without escapes ("16", "sql-lora,chat-lora") are built directly: cheaper than a decoder call.
  if (end - start <= MAX_INLINE) {
    let text = '';
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80 || c === 0x5c) break;
      text += String.fromCharCode(c);
    }
    if (i === end) return text;
  }
  const text = bytes.toString('utf8', start, end);
  return text.includes('\\') ? text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : text;
}
