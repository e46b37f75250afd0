/**
 * The demo network `npm start` loads: one ICS (West Yorkshire, QWO), three Leeds PCNs with ten
 * practices, and VCSO organisations running about forty services of uneven size. Everything here is
 * invented (names, ODS codes, charity numbers, e-mail addresses); the postcodes only look real, and
 * the districts they fall in are the ones `leeds-postcode-districts.csv` locates.
 */
import type { NeedCode, ServiceMode } from '@sp/contracts';

export const DEMO_ICS = { code: 'QWO', name: 'West Yorkshire' } as const;

export interface DemoPractice {
  code: string;
  name: string;
  postcode: string;
}

export interface DemoPcn {
  code: string;
  name: string;
  practices: DemoPractice[];
  /** Postcode districts its people live in (the simulator draws home postcodes from these). */
  districts: string[];
}

export interface DemoService {
  name: string;
  needs: NeedCode[];
  /** A full postcode (where it meets) or a district (remote services are registered at their office). */
  postcode: string;
  radiusKm: number;
  mode: ServiceMode;
  maxActive: number;
  weeklyIntake: number;
  minAge?: number;
  maxAge?: number;
  languages?: string[];
  accessibility?: string[];
  /** Paused by its coordinator when the demo creates it, for this reason (a short code). */
  pausedFor?: string;
}

export interface DemoOrganisation {
  name: string;
  charityNumber?: string;
  contactEmail: string;
  services: DemoService[];
}

export const DEMO_PCNS: DemoPcn[] = [
  {
    code: 'U60101',
    name: 'Armley, Bramley & Wortley PCN',
    districts: ['LS12', 'LS13', 'LS28', 'LS11', 'LS3', 'LS5'],
    practices: [
      { code: 'B86901', name: 'Armley Moor Surgery', postcode: 'LS12 3QE' },
      { code: 'B86902', name: 'Bramley Village Health Centre', postcode: 'LS13 3BD' },
      { code: 'B86903', name: 'Wortley Beck Medical Practice', postcode: 'LS12 4RT' },
      { code: 'B86904', name: 'Swinnow Road Surgery', postcode: 'LS13 4QL' },
    ],
  },
  {
    code: 'U60102',
    name: 'Chapeltown & Harehills PCN',
    districts: ['LS7', 'LS8', 'LS9', 'LS2', 'LS6', 'LS14'],
    practices: [
      { code: 'B86911', name: 'Chapeltown Family Practice', postcode: 'LS7 3JB' },
      { code: 'B86912', name: 'Harehills Corner Surgery', postcode: 'LS8 5BL' },
      { code: 'B86913', name: 'Burmantofts Health Centre', postcode: 'LS9 7TF' },
    ],
  },
  {
    code: 'U60103',
    name: 'Aireborough & Otley PCN',
    districts: ['LS19', 'LS20', 'LS21', 'LS18', 'LS16', 'BD10'],
    practices: [
      { code: 'B86921', name: 'Yeadon Tarn Surgery', postcode: 'LS19 7XB' },
      { code: 'B86922', name: 'Guiseley Green Practice', postcode: 'LS20 8BT' },
      { code: 'B86923', name: 'Otley Wharfe Medical Centre', postcode: 'LS21 3HB' },
    ],
  },
];

const email = (slug: string) => `${slug}@demo.example.org`;

/**
 * Capacity is deliberately uneven: a few large remote services, many middling groups, and a handful
 * of small volunteer-run ones that the demo's seeded referrals leave nearly full (the carers' café,
 * three of four places) or full (the damp casework's two places; the tablet help's week of intake),
 * as small charities often are. One group starts paused for want of volunteers.
 */
export const DEMO_ORGANISATIONS: DemoOrganisation[] = [
  {
    name: 'Leeds Befriending Network',
    charityNumber: '1180101',
    contactEmail: email('befriending'),
    services: [
      {
        name: 'Telephone befriending',
        needs: ['loneliness', 'mental-wellbeing'],
        postcode: 'LS1',
        radiusKm: 0,
        mode: 'phone',
        maxActive: 60,
        weeklyIntake: 12,
        minAge: 50,
      },
      {
        name: 'Armley community lunch club',
        needs: ['loneliness', 'healthy-eating'],
        postcode: 'LS12 3HP',
        radiusKm: 4,
        mode: 'in-person',
        maxActive: 25,
        weeklyIntake: 5,
        minAge: 60,
        accessibility: ['step-free'],
      },
      {
        name: 'Otley Tuesday friends',
        needs: ['loneliness'],
        postcode: 'LS21 1BB',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 12,
        weeklyIntake: 3,
      },
    ],
  },
  {
    name: 'Calm Minds Leeds',
    charityNumber: '1180102',
    contactEmail: email('calm-minds'),
    services: [
      {
        name: 'Wellbeing drop-in, Bramley',
        needs: ['mental-wellbeing'],
        postcode: 'LS13 2ET',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 30,
        weeklyIntake: 6,
        minAge: 16,
      },
      {
        name: 'Online anxiety course',
        needs: ['mental-wellbeing'],
        postcode: 'LS2',
        radiusKm: 0,
        mode: 'online',
        maxActive: 100,
        weeklyIntake: 25,
        minAge: 18,
      },
      {
        name: "Men's talking group",
        needs: ['mental-wellbeing', 'loneliness'],
        postcode: 'LS9 8AB',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 15,
        weeklyIntake: 3,
        minAge: 18,
      },
    ],
  },
  {
    name: 'Chapeltown Community Money Advice',
    charityNumber: '1180103',
    contactEmail: email('money-advice'),
    services: [
      {
        name: 'Debt and benefits advice',
        needs: ['money'],
        postcode: 'LS7 3HB',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 40,
        weeklyIntake: 10,
        languages: ['en', 'ur', 'pa'],
        accessibility: ['step-free', 'hearing-loop'],
      },
      {
        name: 'Benefits helpline',
        needs: ['money'],
        postcode: 'LS7',
        radiusKm: 0,
        mode: 'phone',
        maxActive: 80,
        weeklyIntake: 20,
      },
      {
        name: 'Energy bills clinic',
        needs: ['money', 'housing'],
        postcode: 'LS8 5AA',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 10,
        weeklyIntake: 2,
      },
    ],
  },
  {
    name: 'Tenants Together Leeds',
    charityNumber: '1180104',
    contactEmail: email('tenants'),
    services: [
      {
        name: 'Tenancy advice',
        needs: ['housing'],
        postcode: 'LS9 7AB',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 20,
        weeklyIntake: 4,
      },
      {
        name: 'Damp and repairs casework',
        needs: ['housing'],
        postcode: 'LS9',
        radiusKm: 0,
        mode: 'phone',
        maxActive: 2,
        weeklyIntake: 2,
      },
    ],
  },
  {
    name: 'Aire Valley Walking for Health',
    contactEmail: email('walking'),
    services: [
      {
        name: 'Health walks, Aireborough',
        needs: ['physical-activity', 'nature', 'loneliness'],
        postcode: 'LS19 7AA',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 40,
        weeklyIntake: 8,
      },
      {
        name: 'Armley Park health walks',
        needs: ['physical-activity', 'nature'],
        postcode: 'LS12 2AA',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 30,
        weeklyIntake: 6,
      },
      {
        name: 'Chair-based exercise',
        needs: ['physical-activity', 'long-term-condition'],
        postcode: 'LS13 1AA',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 12,
        weeklyIntake: 3,
        minAge: 60,
        accessibility: ['step-free', 'wheelchair', 'hearing-loop'],
      },
    ],
  },
  {
    name: 'Roots and Shoots Community Garden',
    charityNumber: '1180106',
    contactEmail: email('roots-shoots'),
    services: [
      {
        name: 'Harehills allotment group',
        needs: ['nature', 'mental-wellbeing', 'healthy-eating'],
        postcode: 'LS8 3AA',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 10,
        weeklyIntake: 2,
      },
      {
        name: 'Otley riverside conservation volunteers',
        needs: ['nature', 'physical-activity'],
        postcode: 'LS21 3AA',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 15,
        weeklyIntake: 3,
        minAge: 16,
      },
    ],
  },
  {
    name: 'Carers Together West Yorkshire',
    charityNumber: '1180107',
    contactEmail: email('carers'),
    services: [
      {
        name: "Carers' café",
        needs: ['carers', 'loneliness'],
        postcode: 'LS12 1AA',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 4,
        weeklyIntake: 4,
        accessibility: ['step-free'],
      },
      {
        name: 'Carers support line',
        needs: ['carers'],
        postcode: 'LS1',
        radiusKm: 0,
        mode: 'phone',
        maxActive: 50,
        weeklyIntake: 10,
      },
      {
        name: 'Young carers club',
        needs: ['carers', 'family-parenting'],
        postcode: 'LS7 4AA',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 8,
        weeklyIntake: 2,
        minAge: 8,
        maxAge: 18,
      },
    ],
  },
  {
    name: 'Open Arts Leeds',
    charityNumber: '1180108',
    contactEmail: email('open-arts'),
    services: [
      {
        name: 'Creative wellbeing studio',
        needs: ['arts-culture', 'mental-wellbeing'],
        postcode: 'LS2 7AA',
        radiusKm: 10,
        mode: 'in-person',
        maxActive: 16,
        weeklyIntake: 4,
        accessibility: ['step-free', 'hearing-loop'],
      },
      {
        name: 'Guiseley community choir',
        needs: ['arts-culture', 'loneliness'],
        postcode: 'LS20 8AA',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 30,
        weeklyIntake: 6,
      },
      {
        name: 'Online craft circle',
        needs: ['arts-culture', 'loneliness'],
        postcode: 'LS2',
        radiusKm: 0,
        mode: 'online',
        maxActive: 25,
        weeklyIntake: 5,
      },
    ],
  },
  {
    name: 'Steps to Work Leeds',
    charityNumber: '1180109',
    contactEmail: email('steps-to-work'),
    services: [
      {
        name: 'Employment coaching',
        needs: ['employment', 'money'],
        postcode: 'LS11 5AA',
        radiusKm: 10,
        mode: 'in-person',
        maxActive: 30,
        weeklyIntake: 6,
        minAge: 18,
        maxAge: 66,
        languages: ['en', 'pl'],
      },
      {
        name: 'Youth jobs club',
        needs: ['employment'],
        postcode: 'LS9 6AA',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 12,
        weeklyIntake: 3,
        minAge: 16,
        maxAge: 25,
      },
    ],
  },
  {
    name: 'Bereavement Friends Leeds',
    charityNumber: '1180110',
    contactEmail: email('bereavement'),
    services: [
      {
        name: 'Bereavement support group',
        needs: ['bereavement', 'mental-wellbeing'],
        postcode: 'LS6 1AA',
        radiusKm: 10,
        mode: 'in-person',
        maxActive: 12,
        weeklyIntake: 2,
        pausedFor: 'volunteer-shortage',
      },
      {
        name: 'Bereavement listening line',
        needs: ['bereavement'],
        postcode: 'LS6',
        radiusKm: 0,
        mode: 'phone',
        maxActive: 20,
        weeklyIntake: 4,
      },
    ],
  },
  {
    name: 'Digital Buddies Leeds',
    contactEmail: email('digital-buddies'),
    services: [
      {
        name: 'Tablet and smartphone help',
        needs: ['digital-inclusion'],
        postcode: 'LS13 3AA',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 5,
        weeklyIntake: 3,
        accessibility: ['step-free'],
      },
      {
        name: 'Get online by phone',
        needs: ['digital-inclusion', 'loneliness'],
        postcode: 'LS13',
        radiusKm: 0,
        mode: 'phone',
        maxActive: 15,
        weeklyIntake: 4,
        minAge: 55,
      },
    ],
  },
  {
    name: 'Family Links Chapeltown',
    charityNumber: '1180112',
    contactEmail: email('family-links'),
    services: [
      {
        name: "Parents' drop-in",
        needs: ['family-parenting', 'loneliness'],
        postcode: 'LS7 3AA',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 15,
        weeklyIntake: 3,
        languages: ['en', 'ur', 'pa', 'ar'],
      },
      {
        name: "Dads' group",
        needs: ['family-parenting', 'mental-wellbeing'],
        postcode: 'LS8 2AA',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 8,
        weeklyIntake: 2,
        minAge: 18,
      },
    ],
  },
  {
    name: 'Living Well Leeds',
    charityNumber: '1180113',
    contactEmail: email('living-well'),
    services: [
      {
        name: 'Breathe easy singing',
        needs: ['long-term-condition', 'arts-culture'],
        postcode: 'LS12 4AA',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 20,
        weeklyIntake: 4,
        minAge: 40,
      },
      {
        name: 'Diabetes peer support',
        needs: ['long-term-condition', 'healthy-eating'],
        postcode: 'LS8 4AA',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 15,
        weeklyIntake: 3,
        languages: ['en', 'ur', 'pa'],
      },
      {
        name: 'Pain self-management online',
        needs: ['long-term-condition', 'mental-wellbeing'],
        postcode: 'LS1',
        radiusKm: 0,
        mode: 'online',
        maxActive: 40,
        weeklyIntake: 8,
        minAge: 18,
      },
    ],
  },
  {
    name: 'Healthy Plates Kitchen',
    charityNumber: '1180114',
    contactEmail: email('healthy-plates'),
    services: [
      {
        name: 'Cook and eat sessions',
        needs: ['healthy-eating', 'loneliness'],
        postcode: 'LS12 5AA',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 12,
        weeklyIntake: 3,
      },
      {
        name: 'Community food pantry',
        needs: ['healthy-eating', 'money'],
        postcode: 'LS9 9AA',
        radiusKm: 6,
        mode: 'in-person',
        maxActive: 50,
        weeklyIntake: 15,
      },
    ],
  },
  {
    name: 'Polish Community Centre Leeds',
    charityNumber: '1180115',
    contactEmail: email('polish-centre'),
    services: [
      {
        name: 'Polish-speaking wellbeing group',
        needs: ['mental-wellbeing', 'loneliness'],
        postcode: 'LS11 6AA',
        radiusKm: 12,
        mode: 'in-person',
        maxActive: 15,
        weeklyIntake: 3,
        languages: ['pl', 'en'],
      },
    ],
  },
  {
    name: "Wharfedale Men's Shed",
    contactEmail: email('mens-shed'),
    services: [
      {
        name: "Men's shed",
        needs: ['loneliness', 'mental-wellbeing'],
        postcode: 'LS21 2AA',
        radiusKm: 8,
        mode: 'in-person',
        maxActive: 10,
        weeklyIntake: 2,
        minAge: 18,
        accessibility: ['step-free'],
      },
    ],
  },
  {
    name: "Harehills Women's Centre",
    charityNumber: '1180117',
    contactEmail: email('womens-centre'),
    services: [
      {
        name: "Women's wellbeing circle",
        needs: ['mental-wellbeing', 'loneliness'],
        postcode: 'LS8 5AB',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 20,
        weeklyIntake: 4,
        languages: ['en', 'ur', 'pa', 'bn', 'ar'],
      },
      {
        name: 'English conversation club',
        needs: ['loneliness', 'employment'],
        postcode: 'LS8 5AB',
        radiusKm: 5,
        mode: 'in-person',
        maxActive: 25,
        weeklyIntake: 5,
        languages: ['en', 'ur', 'ar', 'ku'],
      },
    ],
  },
];

/**
 * A handful of referrals the demo starts with, so that every screen has something on it: a few
 * waiting for consent or assessment, offers pending at and accepted by the small services (which
 * leaves them nearly full), some completed with wellbeing scores, one whose consent was declined.
 * `offerTo` names the service the link worker chooses; without it matching offers automatically.
 */
export interface DemoSeed {
  pcn: string;
  practice: string;
  needs: NeedCode[];
  stage:
    | 'awaiting-consent'
    | 'awaiting-assessment'
    | 'offered'
    | 'accepted'
    | 'completed'
    | 'did-not-attend'
    | 'consent-declined';
  offerTo?: string;
}

export const DEMO_SEEDS: DemoSeed[] = [
  { pcn: 'U60101', practice: 'B86901', needs: ['loneliness'], stage: 'awaiting-consent' },
  { pcn: 'U60102', practice: 'B86912', needs: ['money', 'housing'], stage: 'awaiting-consent' },
  { pcn: 'U60103', practice: 'B86921', needs: ['physical-activity'], stage: 'awaiting-assessment' },
  { pcn: 'U60102', practice: 'B86911', needs: ['mental-wellbeing'], stage: 'awaiting-assessment' },
  { pcn: 'U60101', practice: 'B86903', needs: ['carers'], stage: 'accepted', offerTo: "Carers' café" },
  {
    pcn: 'U60101',
    practice: 'B86904',
    needs: ['carers', 'loneliness'],
    stage: 'accepted',
    offerTo: "Carers' café",
  },
  { pcn: 'U60101', practice: 'B86902', needs: ['carers'], stage: 'offered', offerTo: "Carers' café" },
  {
    pcn: 'U60102',
    practice: 'B86913',
    needs: ['housing'],
    stage: 'accepted',
    offerTo: 'Damp and repairs casework',
  },
  {
    pcn: 'U60102',
    practice: 'B86912',
    needs: ['housing'],
    stage: 'offered',
    offerTo: 'Damp and repairs casework',
  },
  {
    pcn: 'U60101',
    practice: 'B86902',
    needs: ['digital-inclusion'],
    stage: 'accepted',
    offerTo: 'Tablet and smartphone help',
  },
  {
    pcn: 'U60101',
    practice: 'B86901',
    needs: ['digital-inclusion'],
    stage: 'accepted',
    offerTo: 'Tablet and smartphone help',
  },
  {
    pcn: 'U60101',
    practice: 'B86904',
    needs: ['digital-inclusion'],
    stage: 'offered',
    offerTo: 'Tablet and smartphone help',
  },
  { pcn: 'U60103', practice: 'B86922', needs: ['loneliness', 'arts-culture'], stage: 'offered' },
  { pcn: 'U60103', practice: 'B86923', needs: ['nature', 'mental-wellbeing'], stage: 'completed' },
  { pcn: 'U60102', practice: 'B86911', needs: ['money'], stage: 'completed' },
  { pcn: 'U60103', practice: 'B86921', needs: ['loneliness'], stage: 'did-not-attend' },
  { pcn: 'U60102', practice: 'B86913', needs: ['bereavement'], stage: 'consent-declined' },
];

export const DEMO_SERVICE_COUNT = DEMO_ORGANISATIONS.reduce((n, o) => n + o.services.length, 0);
export const DEMO_PRACTICE_COUNT = DEMO_PCNS.reduce((n, p) => n + p.practices.length, 0);
