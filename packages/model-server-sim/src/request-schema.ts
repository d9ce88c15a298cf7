// Validation of OpenAI request bodies (zod). Only what the simulator acts on is checked strictly; other fields
// (temperature, top_p, ...) are accepted and ignored, as a real server would accept them.

import { z } from 'zod';

const streamOptions = z
  .object({ include_usage: z.boolean().nullish(), continuous_usage_stats: z.boolean().nullish() })
  .loose()
  .nullish();

const common = {
  model: z.string({ error: "'model' is required and must be a string" }).min(1, "'model' must not be empty"),
  max_tokens: z.number().int().min(1, "'max_tokens' must be at least 1").nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  ignore_eos: z.boolean().nullish(),
  n: z
    .number()
    .int()
    .min(1, "'n' must be at least 1")
    .max(1, "'n' > 1 is not supported by the simulator")
    .nullish(),
};

const tokenIds = z.array(z.number().int().min(0));

export const completionRequestSchema = z
  .object({
    ...common,
    prompt: z.union(
      [
        z.string(),
        z.array(z.string()).length(1, 'only one prompt per request is supported'),
        tokenIds.min(1),
        z.array(tokenIds.min(1)).length(1, 'only one prompt per request is supported'),
      ],
      {
        error:
          "'prompt' is required: a string, an array of one string, or token ids (one prompt per request is supported)",
      },
    ),
  })
  .loose();

const contentPart = z.object({ type: z.string(), text: z.string().optional() }).loose();

const chatMessage = z
  .object({
    role: z.string({ error: "each message needs a 'role' string" }),
    content: z.union([z.string(), z.array(contentPart)]).nullish(),
  })
  .loose();

export const chatRequestSchema = z
  .object({
    ...common,
    max_completion_tokens: z.number().int().min(1, "'max_completion_tokens' must be at least 1").nullish(),
    messages: z
      .array(chatMessage, { error: "'messages' is required and must be an array" })
      .min(1, "'messages' must not be empty"),
  })
  .loose();

export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** One line naming each offending field, e.g. "messages.0.role: each message needs a 'role' string". */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
