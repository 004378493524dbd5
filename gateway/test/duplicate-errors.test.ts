import { withoutRepeats } from '../src/subgraphs/duplicate-errors';

const notFound = (path: (string | number)[], message = 'conversation not found') => ({ message, path, extensions: { code: 'NOT_FOUND' } });

describe('withoutRepeats', () => {
  it('keeps one of each error the client would read twice (same message, code and path), in order', () => {
    const errors = [notFound(['conversation']), { message: 'x', path: ['other'], extensions: { code: 'FORBIDDEN' } }, notFound(['conversation'])];
    expect(withoutRepeats(errors)).toEqual(errors.slice(0, 2));
  });

  it('keeps errors that differ in path, code or words, and answers the same array when nothing repeats', () => {
    const errors = [
      notFound(['conversation']),
      notFound(['a', 'conversation']),
      notFound(['conversation'], 'message not found'),
      { message: 'conversation not found', path: ['conversation'], extensions: { code: 'FORBIDDEN' } },
      { message: 'conversation not found' }, // no path, no code
    ];
    expect(withoutRepeats(errors)).toBe(errors);
    expect(withoutRepeats([])).toEqual([]);
  });
});
