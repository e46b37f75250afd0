import { NotFoundException } from '@nestjs/common';
import { AuthClaims } from './claims';
import { assertInScope, canSeeIcs, canSeeOrg, canSeePcn, canSeePractice } from './scope';

const referrer: AuthClaims = { sub: 'r', role: 'referrer', practice: 'P00001', pcn: 'U00001' };
const linkWorker: AuthClaims = { sub: 'l', role: 'link_worker', pcn: 'U00001' };
const pcnOps: AuthClaims = { sub: 'o', role: 'pcn_ops', pcn: 'U00001' };
const vcso: AuthClaims = { sub: 'v', role: 'vcso_coordinator', org: 'org-1' };
const analyst: AuthClaims = { sub: 'a', role: 'ics_analyst', ics: 'QXX' };
const admin: AuthClaims = { sub: 'z', role: 'admin' };

describe('canSeePcn', () => {
  it('lets link workers and PCN ops see their own PCN only', () => {
    expect(canSeePcn(linkWorker, 'U00001')).toBe(true);
    expect(canSeePcn(linkWorker, 'u00001')).toBe(true);
    expect(canSeePcn(pcnOps, 'U00001')).toBe(true);
    expect(canSeePcn(linkWorker, 'U00002')).toBe(false);
    expect(canSeePcn(pcnOps, undefined)).toBe(false);
  });

  it('gives referrers, VCSOs and analysts no PCN-wide view; admin sees all', () => {
    expect(canSeePcn(referrer, 'U00001')).toBe(false);
    expect(canSeePcn(vcso, 'U00001')).toBe(false);
    expect(canSeePcn(analyst, 'U00001')).toBe(false);
    expect(canSeePcn(admin, 'U99999')).toBe(true);
  });
});

describe('canSeePractice', () => {
  it('lets a referrer see their own practice in their own PCN', () => {
    expect(canSeePractice(referrer, 'P00001', 'U00001')).toBe(true);
    expect(canSeePractice(referrer, 'P00002', 'U00001')).toBe(false);
    expect(canSeePractice(referrer, 'P00001', 'U00002')).toBe(false);
    expect(canSeePractice(referrer, null, 'U00001')).toBe(false);
  });

  it('lets the PCN see every practice in it', () => {
    expect(canSeePractice(linkWorker, 'P00002', 'U00001')).toBe(true);
    expect(canSeePractice(pcnOps, 'P00003', 'U00001')).toBe(true);
    expect(canSeePractice(linkWorker, 'P00001', 'U00002')).toBe(false);
    // A stray practice claim does not narrow a link worker's view, nor widen it.
    expect(canSeePractice({ ...linkWorker, practice: 'P00009' }, 'P00001', 'U00001')).toBe(true);
  });

  it('hides practices from VCSOs and analysts; admin sees all', () => {
    expect(canSeePractice(vcso, 'P00001', 'U00001')).toBe(false);
    expect(canSeePractice(analyst, 'P00001', 'U00001')).toBe(false);
    expect(canSeePractice(admin, 'P00001', 'U00001')).toBe(true);
  });
});

describe('canSeeOrg', () => {
  it('lets a coordinator see their own organisation only', () => {
    expect(canSeeOrg(vcso, 'org-1')).toBe(true);
    expect(canSeeOrg(vcso, 'org-2')).toBe(false);
    expect(canSeeOrg(vcso, undefined)).toBe(false);
    expect(canSeeOrg({ ...linkWorker, org: 'org-1' }, 'org-1')).toBe(false);
    expect(canSeeOrg(admin, 'org-2')).toBe(true);
  });
});

describe('canSeeIcs', () => {
  it('lets an analyst see their own ICS only', () => {
    expect(canSeeIcs(analyst, 'QXX')).toBe(true);
    expect(canSeeIcs(analyst, 'qxx')).toBe(true);
    expect(canSeeIcs(analyst, 'QYY')).toBe(false);
    expect(canSeeIcs(pcnOps, 'QXX')).toBe(false);
    expect(canSeeIcs(admin, 'QYY')).toBe(true);
  });
});

describe('assertInScope', () => {
  it('passes when in scope and answers 404 otherwise, never 403', () => {
    expect(() => assertInScope(true)).not.toThrow();
    expect(() => assertInScope(canSeePcn(linkWorker, 'U00002'), 'referral')).toThrow(NotFoundException);
    expect(() => assertInScope(undefined, 'referral')).toThrow('referral not found');
    try {
      assertInScope(false);
    } catch (err) {
      expect((err as NotFoundException).getStatus()).toBe(404);
    }
    expect.assertions(4);
  });
});
