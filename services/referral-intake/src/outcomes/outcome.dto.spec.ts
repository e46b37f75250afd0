import 'reflect-metadata';
import { ValidationProblem } from '@sp/platform';
import { parseRecordOutcome } from './outcome.dto';

function fields(body: unknown): string[] {
  try {
    parseRecordOutcome(body);
  } catch (err) {
    if (err instanceof ValidationProblem) return err.problems.map((p) => p.field).sort();
    throw err;
  }
  return [];
}

describe('RecordOutcomeDto', () => {
  it('accepts each measure at each stage', () => {
    expect(fields({ measure: 'ons4', stage: 'baseline', scores: [0, 10, 5, 7] })).toEqual([]);
    expect(fields({ measure: 'swemwbs', stage: 'follow-up', scores: [1, 2, 3, 4, 5, 5, 5] })).toEqual([]);
    expect(parseRecordOutcome({ measure: 'ons4', stage: 'baseline', scores: [1, 2, 3, 4] })).toMatchObject({
      measure: 'ons4',
      scores: [1, 2, 3, 4],
    });
  });

  it.each([
    ['an unknown measure', { measure: 'phq9', stage: 'baseline', scores: [1, 2, 3, 4] }, ['measure']],
    ['an unknown stage', { measure: 'ons4', stage: 'midway', scores: [1, 2, 3, 4] }, ['stage']],
    ['ons4 with 3 scores', { measure: 'ons4', stage: 'baseline', scores: [1, 2, 3] }, ['scores']],
    ['swemwbs with 4 scores', { measure: 'swemwbs', stage: 'baseline', scores: [1, 2, 3, 4] }, ['scores']],
    ['scores not a list', { measure: 'ons4', stage: 'baseline', scores: '1,2,3,4' }, ['scores']],
    ['an ons4 score of 11', { measure: 'ons4', stage: 'baseline', scores: [1, 2, 11, 4] }, ['scores[2]']],
    ['a negative ons4 score', { measure: 'ons4', stage: 'baseline', scores: [-1, 2, 3, 4] }, ['scores[0]']],
    [
      'a swemwbs score of 0 and of 6',
      { measure: 'swemwbs', stage: 'baseline', scores: [0, 1, 1, 1, 1, 1, 6] },
      ['scores[0]', 'scores[6]'],
    ],
    ['a fraction', { measure: 'ons4', stage: 'baseline', scores: [1, 2.5, 3, 4] }, ['scores[1]']],
    ['a number as a string', { measure: 'ons4', stage: 'baseline', scores: [1, '2', 3, 4] }, ['scores[1]']],
    ['a null score', { measure: 'ons4', stage: 'baseline', scores: [1, null, 3, 4] }, ['scores[1]']],
    [
      'a field nobody asked for',
      { measure: 'ons4', stage: 'baseline', scores: [1, 2, 3, 4], note: 'x' },
      ['note'],
    ],
    ['nothing at all', {}, ['measure', 'scores', 'stage']],
    [
      'many problems at once',
      { measure: 'ons4', stage: 'later', scores: [1, 2, 3, 4, 99] },
      ['scores', 'scores[4]', 'stage'],
    ],
  ])('names the field for %s', (_name, body, expected) => {
    expect(fields(body)).toEqual(expected);
  });

  it('judges no score range when the measure is unknown', () => {
    expect(fields({ measure: 'who5', stage: 'baseline', scores: [99] })).toEqual(['measure']);
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'ons4', 4]) expect(fields(body)).toEqual(['body']);
  });
});
