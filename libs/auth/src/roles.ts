/** Every role a token can carry (CONTRACT.md, Auth). */
export const ROLES = [
  'referrer',
  'link_worker',
  'pcn_ops',
  'vcso_coordinator',
  'ics_analyst',
  'admin',
] as const;

export type Role = (typeof ROLES)[number];

export type ScopeClaim = 'practice' | 'pcn' | 'org' | 'ics';

/**
 * The scope claims a token of each role must carry. Without them a scoped role would see nothing (or,
 * with a careless check, everything), so such tokens are refused outright.
 */
export const REQUIRED_SCOPE_CLAIMS: Readonly<Record<Role, readonly ScopeClaim[]>> = {
  referrer: ['practice', 'pcn'],
  link_worker: ['pcn'],
  pcn_ops: ['pcn'],
  vcso_coordinator: ['org'],
  ics_analyst: ['ics'],
  admin: [],
};

export function isRole(input: unknown): input is Role {
  return typeof input === 'string' && (ROLES as readonly string[]).includes(input);
}
