import {
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  isRateLimitExempt,
  rateLimitPerMinute,
} from './rate-limit.middleware';

describe('rate limit settings', () => {
  it('defaults to a limit a person never reaches, takes a whole number, and 0 turns it off', () => {
    expect(rateLimitPerMinute({})).toBe(DEFAULT_RATE_LIMIT_PER_MINUTE);
    expect(DEFAULT_RATE_LIMIT_PER_MINUTE).toBeGreaterThanOrEqual(600);
    expect(rateLimitPerMinute({ RATE_LIMIT_PER_MINUTE: ' 30 ' })).toBe(30);
    expect(rateLimitPerMinute({ RATE_LIMIT_PER_MINUTE: '0' })).toBe(0);
    for (const bad of ['-1', '1.5', 'lots', '1e400'])
      expect(() => rateLimitPerMinute({ RATE_LIMIT_PER_MINUTE: bad })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });

  it('limits every /api request however it is spelt, and no health, metrics, docs or console file', () => {
    for (const [method, url] of [
      ['GET', '/api/v1/referrals'],
      ['POST', '/api/v1/referrals/import'],
      ['GET', '/API/v1/me'],
      ['GET', '/%61pi/v1/me'],
      ['GET', '//api//v1/me?x=1'],
      ['POST', '/console/sign-in'],
    ])
      expect({ method, url, exempt: isRateLimitExempt(method, url) }).toEqual({ method, url, exempt: false });
    for (const [method, url] of [
      ['GET', '/health'],
      ['GET', '/health/live'],
      ['GET', '/metrics'],
      ['GET', '/docs'],
      ['GET', '/docs/json'],
      ['GET', '/docs/swagger-ui-bundle.js'],
      ['GET', '/'],
      ['HEAD', '/css/console.css'],
    ])
      expect({ method, url, exempt: isRateLimitExempt(method, url) }).toEqual({ method, url, exempt: true });
  });
});
