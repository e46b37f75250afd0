import { decisionConflict, withdrawalConflict } from './consent-rules';

const granted = { decision: 'granted' as const, withdrawnAt: null };
const withdrawn = { decision: 'granted' as const, withdrawnAt: new Date('2026-01-01T00:00:00Z') };
const declined = { decision: 'declined' as const, withdrawnAt: null };

describe('decisionConflict', () => {
  it('allows the first decision on an open referral', () => {
    expect(decisionConflict(false, [])).toBeNull();
  });

  it('refuses any decision on a closed referral', () => {
    expect(decisionConflict(true, [])).toMatch(/closed/);
  });

  it('refuses a second decision while a grant stands or after a decline', () => {
    expect(decisionConflict(false, [granted])).toMatch(/already granted/);
    expect(decisionConflict(false, [declined])).toMatch(/declined/);
  });

  it('refuses a new grant after a withdrawal even before intake has closed the referral', () => {
    expect(decisionConflict(false, [withdrawn])).toMatch(/withdrawn/);
  });
});

describe('withdrawalConflict', () => {
  it('withdraws a standing grant only', () => {
    expect(withdrawalConflict(granted)).toBeNull();
    expect(withdrawalConflict(withdrawn)).toMatch(/already withdrawn/);
    expect(withdrawalConflict(declined)).toMatch(/only granted/);
  });
});
