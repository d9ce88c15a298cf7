// Realistic chat-completion bodies of a given size: prose with a line break (JSON `\n`) every ~100 bytes, several
// messages, `model` first as OpenAI clients send it. `separator` varies the escape mix for the sensitivity rows of
// the bench: '\n' (the default, as in chat prompts), '"' (a `\"` escape instead) or ' ' (no escapes at all).
const WORDS =
  'the quick brown fox jumps over the lazy dog while a model server streams tokens back to the client'.split(
    ' ',
  );

export function chatBody(
  targetBytes: number,
  model = 'meta-llama/Llama-3.1-8B-Instruct',
  separator: '\n' | '"' | ' ' = '\n',
): Buffer {
  const messages: Array<{ role: string; content: string }> = [];
  let size = 120;
  let w = 0;
  while (size < targetBytes) {
    let content = '';
    const want = Math.min(4000, targetBytes - size);
    while (content.length < want) {
      content += WORDS[w++ % WORDS.length];
      content += w % 17 === 0 ? separator : ' ';
    }
    messages.push({ role: messages.length % 2 ? 'assistant' : 'user', content });
    size += content.length + 40;
  }
  return Buffer.from(JSON.stringify({ model, messages, max_tokens: 256, temperature: 0.7, stream: true }));
}
