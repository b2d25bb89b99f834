// The integer name rule of docs/schema-format.md: TypeScript only has `number`, so a number
// is written as an integer when the name of its property or parameter says it counts or
// stamps something.
const SUFFIXES = ["Count", "At", "Ms", "Timestamp", "Version", "Size", "Total"];
const NAMES = new Set([
  "count", "total", "version", "limit", "offset", "timestamp", "depth", "level",
  "dimensions", "skip", "page", "pageSize", "maxRetries", "retries", "ttl", "timeout",
  "port", "messageCount", "memoryCount", "factCount", "length", "tokens", "maxTokens",
  "batchSize", "concurrency",
]);

/** True when a `number` named `name` is an integer by the naming rule. */
export function isIntegerName(name) {
  if (typeof name !== "string" || name.length === 0) return false;
  if (NAMES.has(name)) return true;
  return SUFFIXES.some((s) => name.length > s.length && name.endsWith(s));
}
