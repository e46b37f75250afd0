/**
 * Splits `items` into rounds in which no key repeats, keeping each key's items in their order: a
 * key's first item goes to the first round, its second to the second, and so on. One multi-row
 * upsert may not touch a row twice (Postgres: "ON CONFLICT DO UPDATE command cannot affect row a
 * second time"), so a run of events about the same rows is written as one statement per round.
 */
export function distinctRounds<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    const round = seen.get(k) ?? 0;
    seen.set(k, round + 1);
    (rounds[round] ??= []).push(item);
  }
  return rounds;
}
