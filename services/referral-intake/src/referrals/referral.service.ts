import { ConflictException, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { assertInScope, canSeePcn, canSeePractice, type AuthClaims } from '@sp/auth';
import {
  REFERRAL_ASSESSED_V1,
  type ReferralAssessedV1,
  type ReferralSource,
  type ReferralStatus,
} from '@sp/contracts';
import { NhsNumber, Postcode, ageBandFor } from '@sp/domain';
import { OutboxWriter } from '@sp/messaging';
import { pageOf, ValidationProblem, type FieldProblem, type Page } from '@sp/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { NetworkService } from '../network/network.service';
import { IntakeCrypto } from '../security/intake-crypto';
import { AssessmentDto, CloseReferralDto, CreateReferralDto, ListReferralsQuery } from './referral.dto';
import {
  encryptedIdentity,
  IDENTITY_COLUMNS,
  IDENTITY_FIELDS,
  identityFieldsWritten,
  newReferralEvents,
  receivedTimelineDetail,
  type NewReferralFacts,
} from './new-referral';
import { OPEN_STATUSES, ReferralRow, ReferralStore, TimelineEntry } from './referral-store';

/** A referral as the API answers it: ids, codes and the closed loop; `patient` only where allowed. */
export interface ReferralView {
  id: string;
  pcnCode: string;
  practiceCode: string;
  needs: string[];
  status: ReferralStatus;
  closeReason: string | null;
  responsibleParty: string;
  possibleDuplicate: boolean;
  linkedReferralId: string | null;
  source: string;
  timeline: TimelineEntry[];
  createdAt: string;
  updatedAt: string;
  patient?: PatientView;
}

export interface PatientView {
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  postcode: string;
  phone?: string;
  email?: string;
  preferredLanguage?: string;
  accessibilityNeeds: string[];
  notes?: string;
  referrer: { name: string; role: string };
}

/** What a VCSO with a live offer and standing consent may know to make contact. */
export interface ContactView {
  referralId: string;
  givenName: string;
  phone?: string;
  email?: string;
  preferredLanguage?: string;
  notesForVcso?: string;
}

interface IdentityRow {
  referral_id: string;
  nhs_number: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  postcode: string;
  phone: string | null;
  email: string | null;
  notes: string | null;
  referrer_name: string;
  referrer_role: string;
  notes_for_vcso: string | null;
}

export const INTAKE_CRYPTO = Symbol('INTAKE_CRYPTO');

/**
 * Why this caller may not refer from this PCN and practice (a referrer: their own practice and PCN;
 * a link worker or PCN ops: their own PCN), or null when they may.
 */
export function referralScopeProblem(
  user: AuthClaims,
  pcnCode: string,
  practiceCode: string,
): FieldProblem | null {
  if (user.role === 'referrer') {
    if (user.practice !== practiceCode) {
      return { field: 'practiceCode', message: 'a referrer may only refer from their own practice' };
    }
    if (user.pcn !== pcnCode) {
      return { field: 'pcnCode', message: 'a referrer may only refer within their own PCN' };
    }
  } else if (user.role === 'link_worker' || user.role === 'pcn_ops') {
    if (user.pcn !== pcnCode) return { field: 'pcnCode', message: 'you may only refer within your own PCN' };
  }
  return null;
}

const PATIENT_VIEWERS: ReadonlySet<AuthClaims['role']> = new Set(['referrer', 'link_worker', 'pcn_ops']);
/** Intake, reads, assessment and closing of referrals. */
@Injectable()
export class ReferralService {
  constructor(
    private readonly ds: DataSource,
    private readonly store: ReferralStore,
    private readonly network: NetworkService,
    private readonly outbox: OutboxWriter,
    @Inject(INTAKE_CRYPTO) private readonly crypto: IntakeCrypto,
  ) {}

  /**
   * Accepts a validated referral. Returns `replay: true` (and the first referral) when the same caller
   * sent the same body under the same Idempotency-Key; a different body under that key is a 409.
   */
  async create(
    user: AuthClaims,
    dto: CreateReferralDto,
    idempotencyKey?: string,
    source: ReferralSource = 'api',
  ): Promise<{ referral: ReferralView; replay: boolean }> {
    this.assertMayReferFrom(user, dto.pcnCode, dto.practiceCode);
    const nhsNumber = NhsNumber.parse(dto.patient.nhsNumber, 'patient.nhsNumber').value;
    const postcode = Postcode.parse(dto.patient.postcode, 'patient.postcode');
    const ageBand = ageBandFor(dto.patient.birthDate);
    const personKey = this.crypto.personKey(nhsNumber);
    const fingerprint = idempotencyKey ? this.crypto.fingerprint(dto) : undefined;

    const outcome = await this.ds.transaction(async (m) => {
      const id = randomUUID();
      if (idempotencyKey && fingerprint) {
        // Claimed first: a concurrent retry with the same key waits here until this one commits.
        const claimed: unknown[] = await m.query(
          `INSERT INTO idempotency_key (caller, key, request_hash, referral_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (caller, key) DO NOTHING RETURNING key`,
          [user.sub, idempotencyKey, fingerprint, id],
        );
        if (claimed.length === 0) {
          const [prior]: { request_hash: string; referral_id: string }[] = await m.query(
            `SELECT request_hash, referral_id FROM idempotency_key WHERE caller = $1 AND key = $2`,
            [user.sub, idempotencyKey],
          );
          if (prior.request_hash !== fingerprint) {
            throw new ConflictException('Idempotency-Key was already used with a different request body');
          }
          return { id: prior.referral_id, replay: true as const };
        }
      }

      await this.assertPracticeInPcn(m, dto.pcnCode, dto.practiceCode);

      // Serialises intake of one person within one PCN, so two racing referrals still get linked.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`referral:${dto.pcnCode}:${personKey}`]);
      const [open]: { id: string }[] = await m.query(
        `SELECT id FROM referral WHERE pcn_code = $1 AND person_key = $2 AND status = ANY($3)
         ORDER BY created_at LIMIT 1`,
        [dto.pcnCode, personKey, OPEN_STATUSES],
      );
      const now = new Date();
      const p = dto.patient;
      const accessibility = p.accessibilityNeeds ?? [];
      const [created]: ReferralRow[] = await m.query(
        `INSERT INTO referral (id, pcn_code, practice_code, needs, status, responsible_party, possible_duplicate,
           linked_referral_id, person_key, age_band, postcode_district, preferred_language, accessibility_needs,
           source, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'awaiting-consent', 'referrer', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
         RETURNING *`,
        [
          id,
          dto.pcnCode,
          dto.practiceCode,
          dto.needs,
          !!open,
          open?.id ?? null,
          personKey,
          ageBand,
          postcode.district,
          p.preferredLanguage ?? null,
          accessibility,
          source,
          user.sub,
          now,
        ],
      );
      await m.query(
        `INSERT INTO referral_identity (${IDENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        encryptedIdentity(this.crypto.cipher, id, dto, nhsNumber, postcode),
      );
      await appendAudit(m, {
        actor: user,
        action: 'write',
        referralId: id,
        fields: identityFieldsWritten(dto),
        reason: 'referral-created',
      });

      const facts: NewReferralFacts = {
        id,
        receivedId: randomUUID(),
        dto,
        personKey,
        ageBand,
        postcode,
        linkedReferralId: open?.id,
        source,
        now,
      };
      await this.outbox.enqueueMany<unknown>(m, newReferralEvents(facts));
      const received = { kind: 'received', detail: receivedTimelineDetail(facts), at: now };
      await this.store.addTimeline(m, id, { ...received, causeId: facts.receivedId });
      // Answered from what was written, as it stands at commit: no second read.
      const timeline: TimelineEntry[] = [{ ...received, at: now.toISOString() }];
      return { id, replay: false as const, created, timeline };
    });
    if (!outcome.replay) {
      return { referral: await this.view(this.ds.manager, outcome.created, outcome.timeline), replay: false };
    }
    const row = await this.store.find(this.ds.manager, outcome.id);
    if (!row) throw new Error('referral vanished after commit');
    return { referral: await this.view(this.ds.manager, row), replay: true };
  }

  async get(user: AuthClaims, id: string): Promise<ReferralView> {
    return this.ds.transaction(async (m) => {
      const row = await this.store.find(m, id);
      assertInScope(row && canSeePractice(user, row.practice_code, row.pcn_code), 'referral');
      const view = await this.view(m, row);
      if (PATIENT_VIEWERS.has(user.role)) view.patient = await this.patient(m, user, row);
      return view;
    });
  }

  async list(user: AuthClaims, q: ListReferralsQuery): Promise<Page<ReferralView>> {
    const { page, pageSize, offset } = pageOf(q);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    switch (user.role) {
      case 'admin':
        break;
      case 'referrer':
        add('practice_code = ?', user.practice);
        add('pcn_code = ?', user.pcn);
        break;
      case 'link_worker':
      case 'pcn_ops':
        add('pcn_code = ?', user.pcn);
        break;
      case 'vcso_coordinator':
      case 'ics_analyst':
        throw new ForbiddenException(`role ${user.role} may not list referrals`);
    }
    if (q.status) add('status = ?', q.status);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }]: { total: string }[] = await this.ds.query(
      `SELECT count(*) AS total FROM referral ${clause}`,
      params,
    );
    const rows: ReferralRow[] = await this.ds.query(
      `SELECT * FROM referral ${clause} ORDER BY created_at DESC, id LIMIT ${pageSize} OFFSET ${offset}`,
      params,
    );
    const items = await Promise.all(rows.map((r) => this.view(this.ds.manager, r)));
    return { items, page, pageSize, total: Number(total) };
  }

  async assess(user: AuthClaims, id: string, dto: AssessmentDto): Promise<ReferralView> {
    // Scope first, so the wait for consent never tells another PCN that the referral exists.
    const found = await this.store.find(this.ds.manager, id);
    assertInScope(found && canSeePcn(user, found.pcn_code), 'referral');
    if (found.consent_state === 'none') await this.store.untilConsentKnown(this.ds.manager, id);
    return this.ds.transaction(async (m) => {
      const row = await this.store.lock(m, id);
      assertInScope(row && canSeePcn(user, row.pcn_code), 'referral');
      if (row.status !== 'awaiting-assessment') {
        throw new ConflictException(
          `referral is ${row.status}; only a referral awaiting assessment can be assessed`,
        );
      }
      // The PCN's default is read only when the assessment does not say.
      const autoOffer = dto.autoOffer ?? (await this.network.settings(m, row.pcn_code))?.autoOffer ?? false;
      const now = new Date();
      await m.query(`UPDATE referral SET needs = $2, auto_offer = $3 WHERE id = $1`, [
        id,
        dto.needs,
        autoOffer,
      ]);
      if (dto.notesForVcso !== undefined) {
        await m.query(`UPDATE referral_identity SET notes_for_vcso = $2 WHERE referral_id = $1`, [
          id,
          this.crypto.cipher.encrypt(dto.notesForVcso, `${id}:notes_for_vcso`),
        ]);
        await appendAudit(m, {
          actor: user,
          action: 'write',
          referralId: id,
          fields: ['notes_for_vcso'],
          reason: 'assessment-recorded',
        });
      }
      const assessed: ReferralAssessedV1 = {
        referralId: id,
        pcnCode: row.pcn_code,
        needs: dto.needs,
        autoOffer,
        assessedAt: now.toISOString(),
      };
      await this.outbox.enqueue(m, { type: REFERRAL_ASSESSED_V1, subject: id, data: assessed, time: now });
      const changed = await this.store.change(
        m,
        { ...row, needs: dto.needs },
        {
          to: 'matching',
          responsibleParty: 'link-worker',
          kind: 'assessed',
          detail: { needs: dto.needs, autoOffer },
          at: now,
        },
      );
      return this.view(m, changed);
    });
  }

  async close(user: AuthClaims, id: string, dto: CloseReferralDto): Promise<ReferralView> {
    return this.ds.transaction(async (m) => {
      const row = await this.store.lock(m, id);
      assertInScope(row && canSeePcn(user, row.pcn_code), 'referral');
      if (row.status === 'closed' || row.status === 'completed') {
        throw new ConflictException(`referral is already ${row.status}`);
      }
      const changed = await this.store.change(m, row, {
        to: 'closed',
        closeReason: dto.reason,
        responsibleParty: row.responsible_party,
        kind: 'closed',
        detail: { reason: dto.reason, by: user.role },
      });
      return this.view(m, changed);
    });
  }

  /**
   * Minimal contact details for a VCSO coordinator, only while their organisation holds a pending or
   * accepted offer and consent to share with VCSOs stands. Anything else reads as absent.
   */
  async contact(user: AuthClaims, id: string): Promise<ContactView> {
    return this.ds.transaction(async (m) => {
      const row = await this.store.find(m, id);
      const offers: unknown[] = row
        ? await m.query(
            `SELECT 1 FROM referral_offer WHERE referral_id = $1 AND organisation_id = $2
               AND status IN ('pending', 'accepted')`,
            [id, user.org ?? ''],
          )
        : [];
      assertInScope(
        row &&
          user.role === 'vcso_coordinator' &&
          row.status !== 'closed' &&
          row.consent_state === 'granted' &&
          row.share_with_vcso &&
          offers.length > 0,
        'referral',
      );
      const [identity]: IdentityRow[] = await m.query(
        `SELECT * FROM referral_identity WHERE referral_id = $1`,
        [id],
      );
      const c = this.crypto.cipher;
      const ctx = (column: string) => `${id}:${column}`;
      const phone = c.decryptOptional(identity.phone, ctx('phone'));
      const email = c.decryptOptional(identity.email, ctx('email'));
      const notesForVcso = c.decryptOptional(identity.notes_for_vcso, ctx('notes_for_vcso'));
      await appendAudit(m, {
        actor: user,
        action: 'read',
        referralId: id,
        fields: ['given_name', 'phone', 'email', 'notes_for_vcso'].filter(
          (f) => f === 'given_name' || identity[f as keyof IdentityRow] !== null,
        ),
        reason: 'contact-requested',
      });
      return {
        referralId: id,
        givenName: c.decrypt(identity.given_name, ctx('given_name')),
        ...(phone ? { phone } : {}),
        ...(email ? { email } : {}),
        ...(row.preferred_language ? { preferredLanguage: row.preferred_language } : {}),
        ...(notesForVcso ? { notesForVcso } : {}),
      };
    });
  }

  private assertMayReferFrom(user: AuthClaims, pcnCode: string, practiceCode: string): void {
    const problem = referralScopeProblem(user, pcnCode, practiceCode);
    if (problem) throw new ForbiddenException(problem.message);
  }

  private async assertPracticeInPcn(m: EntityManager, pcnCode: string, practiceCode: string): Promise<void> {
    const problem = await this.practiceProblem(m, pcnCode, practiceCode);
    if (problem) throw new ValidationProblem([problem]);
  }

  /** Why this practice cannot refer within this PCN (unknown PCN, unknown or foreign practice), or null. */
  async practiceProblem(
    m: EntityManager,
    pcnCode: string,
    practiceCode: string,
  ): Promise<FieldProblem | null> {
    const { pcnKnown, practicePcn: owner } = await this.network.pcnAndPractice(m, pcnCode, practiceCode);
    if (!pcnKnown) return { field: 'pcnCode', message: 'is not a registered PCN' };
    if (owner === pcnCode) return null;
    return {
      field: 'practiceCode',
      message: owner ? `does not belong to PCN ${pcnCode}` : 'is not a registered practice',
    };
  }

  private async patient(m: EntityManager, user: AuthClaims, row: ReferralRow): Promise<PatientView> {
    const [identity]: IdentityRow[] = await m.query(
      `SELECT * FROM referral_identity WHERE referral_id = $1`,
      [row.id],
    );
    const c = this.crypto.cipher;
    const ctx = (column: string) => `${row.id}:${column}`;
    await appendAudit(m, {
      actor: user,
      action: 'read',
      referralId: row.id,
      fields: IDENTITY_FIELDS,
      reason: 'referral-viewed',
    });
    const phone = c.decryptOptional(identity.phone, ctx('phone'));
    const email = c.decryptOptional(identity.email, ctx('email'));
    const notes = c.decryptOptional(identity.notes, ctx('notes'));
    return {
      nhsNumber: c.decrypt(identity.nhs_number, ctx('nhs_number')),
      givenName: c.decrypt(identity.given_name, ctx('given_name')),
      familyName: c.decrypt(identity.family_name, ctx('family_name')),
      birthDate: c.decrypt(identity.birth_date, ctx('birth_date')),
      postcode: c.decrypt(identity.postcode, ctx('postcode')),
      ...(phone ? { phone } : {}),
      ...(email ? { email } : {}),
      ...(row.preferred_language ? { preferredLanguage: row.preferred_language } : {}),
      accessibilityNeeds: row.accessibility_needs,
      ...(notes ? { notes } : {}),
      referrer: {
        name: c.decrypt(identity.referrer_name, ctx('referrer_name')),
        role: identity.referrer_role,
      },
    };
  }

  /** The referral as the API answers it; `timeline` when the caller already holds it. */
  private async view(m: EntityManager, row: ReferralRow, timeline?: TimelineEntry[]): Promise<ReferralView> {
    return {
      id: row.id,
      pcnCode: row.pcn_code,
      practiceCode: row.practice_code,
      needs: row.needs,
      status: row.status,
      closeReason: row.close_reason,
      responsibleParty: row.responsible_party,
      possibleDuplicate: row.possible_duplicate,
      linkedReferralId: row.linked_referral_id,
      source: row.source,
      timeline: timeline ?? (await this.store.timeline(m, row.id)),
      createdAt: row.created_at.toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }
}
