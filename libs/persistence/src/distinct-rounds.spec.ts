import { distinctRounds } from './distinct-rounds';

describe('distinctRounds', () => {
  it('puts each key once in a round, its items in order across rounds', () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'];
    expect(distinctRounds(items, (s) => s[0])).toEqual([['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
  });

  it('keeps distinct keys in one round, and nothing gives no rounds', () => {
    expect(distinctRounds([1, 2, 3], String)).toEqual([[1, 2, 3]]);
    expect(distinctRounds([], String)).toEqual([]);
  });
});
