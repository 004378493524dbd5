import { parseJavaMajor } from '../src/tools';

describe('parseJavaMajor', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)', 17],
    ['openjdk version "25" 2025-09-16', 25],
    ['java version "1.8.0_362"', 8],
    ['openjdk version "21-ea" 2023-09-19', 21],
  ])('reads %j as %i', (output, major) => {
    expect(parseJavaMajor(output)).toBe(major);
  });

  it('returns undefined for output it does not recognise', () => {
    expect(parseJavaMajor('bash: java: command not found')).toBeUndefined();
  });
});
