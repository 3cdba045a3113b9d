import type { Model } from '../oplog/fold.ts';
import { baseState } from '../oplog/fold.ts';
import type { EntityBase, Op } from '../oplog/types.ts';
import { assignFields, f, obj } from './read.ts';
import { markCreated } from './time.ts';
import { isServiceAttributes, type ServiceAttribute } from './service-attributes.ts';

/**
 * Configurable lists (ticket categories, help request types, certificate
 * types, points rules). Built-in defaults live here in code and exist on every
 * node without any op; ops (`<kind>.set`) override fields last-writer-wins or
 * add new codes. So defaults never need seeding and never diverge.
 */

export interface TicketCategory extends EntityBase {
  name: string;
  slaMinutes: number;
  /** Extra questions a report of this kind answers (Open311 service definition). */
  attributes: ServiceAttribute[];
  active: boolean;
  builtin: boolean;
}

export interface HelpType extends EntityBase {
  name: string;
  active: boolean;
  builtin: boolean;
}

export interface CertificateType extends EntityBase {
  name: string;
  /** The certificate's body; {name}, {idNumber}, {address}, {purpose}, {details} are filled in. */
  template: string;
  active: boolean;
  builtin: boolean;
}

type CapPeriod = 'month' | 'year';
export interface PointsCap {
  period: CapPeriod;
  maxPoints: number;
}
export interface PointsTier {
  /** e.g. hours of volunteering reached by the claim. */
  minQuantity: number;
  points: number;
}

export interface PointsRule extends EntityBase {
  name: string;
  /** Points per occurrence (negative: a deduction). Ignored when tiers are set. */
  points: number;
  /** Points by quantity: the highest tier the claimed quantity reaches. */
  tiers: PointsTier[] | null;
  cap: PointsCap | null;
  /** Members may claim it themselves (with evidence, approved by the secretary). */
  selfClaim: boolean;
  active: boolean;
  builtin: boolean;
}

export const DEFAULT_TICKET_CATEGORIES: Record<string, { name: string; slaMinutes: number; attributes?: ServiceAttribute[] }> = {
  garbage: { name: '垃圾倾倒', slaMinutes: 30 },
  parking: { name: '乱停乱放', slaMinutes: 30 },
  fireworks: { name: '违规燃放', slaMinutes: 30 },
  facility: {
    name: '设施损坏',
    slaMinutes: 240,
    // Optional: it tells the dispatcher whom to send (electrician, plumber, road crew) before anyone looks.
    attributes: [
      {
        code: 'facility_kind',
        description: '损坏的是什么设施？',
        datatype: 'singlevaluelist',
        required: false,
        variable: true,
        order: 1,
        datatypeDescription: null,
        values: [
          { key: 'streetlight', name: '路灯' },
          { key: 'manhole', name: '井盖' },
          { key: 'road', name: '道路' },
          { key: 'water', name: '供水管道' },
          { key: 'other', name: '其他' },
        ],
      },
    ],
  },
  dispute: { name: '邻里纠纷', slaMinutes: 120 },
  other: { name: '其他', slaMinutes: 1440 },
};

export const DEFAULT_HELP_TYPES: Record<string, { name: string }> = {
  daily_living: { name: '生活照料' },
  medical: { name: '就医陪护' },
  mobility: { name: '出行帮助' },
  repair: { name: '维修求助' },
  emergency: { name: '紧急求助' },
  other: { name: '其他' },
};

export const DEFAULT_CERTIFICATE_TYPES: Record<string, { name: string; template: string }> = {
  residence: {
    name: '居住证明',
    template: '兹证明{name}（身份证号：{idNumber}）系我村村民，现居住于{address}。\n\n特此证明。用途：{purpose}',
  },
  work_away: {
    name: '外出务工证明',
    template: '兹证明{name}（身份证号：{idNumber}）系我村村民，住址{address}，现外出务工。{details}\n\n特此证明。用途：{purpose}',
  },
  family_relation: {
    name: '家庭关系证明',
    template: '兹证明{name}（身份证号：{idNumber}）系我村村民，住址{address}。家庭关系如下：{details}\n\n特此证明。用途：{purpose}',
  },
};

/**
 * Points rules after a county's published table (文登): volunteering
 * tiers 10 h +2 … 300 h +50 (100 h and 200 h interpolated), training +1 at
 * most 3 a year, helping neighbours +1 at most once a month, reports +10,
 * adopted suggestions +2, blood donation +10; deductions −5 for a missed
 * 三会一课 / 主题党日, leave without make-up, and each month of unpaid dues.
 */
export const DEFAULT_POINTS_RULES: Record<string, Omit<PointsRule, keyof EntityBase | 'builtin' | 'active'>> = {
  attend_meeting: { name: '参加三会一课', points: 1, tiers: null, cap: null, selfClaim: false },
  volunteer: {
    name: '志愿服务',
    points: 0,
    tiers: [
      { minQuantity: 10, points: 2 },
      { minQuantity: 20, points: 5 },
      { minQuantity: 50, points: 10 },
      { minQuantity: 100, points: 20 },
      { minQuantity: 200, points: 30 },
      { minQuantity: 300, points: 50 },
    ],
    cap: null,
    selfClaim: true,
  },
  training: { name: '参加培训', points: 1, tiers: null, cap: { period: 'year', maxPoints: 3 }, selfClaim: true },
  help_neighbour: { name: '帮扶邻里', points: 1, tiers: null, cap: { period: 'month', maxPoints: 1 }, selfClaim: true },
  report_violation: { name: '举报违建或污染', points: 10, tiers: null, cap: null, selfClaim: true },
  suggestion_adopted: { name: '建议被采纳', points: 2, tiers: null, cap: null, selfClaim: true },
  blood_donation: { name: '无偿献血', points: 10, tiers: null, cap: null, selfClaim: true },
  missed_meeting: { name: '无故缺席三会一课或主题党日', points: -5, tiers: null, cap: null, selfClaim: false },
  leave_no_makeup: { name: '请假未补学', points: -5, tiers: null, cap: null, selfClaim: false },
  dues_unpaid: { name: '未按月交纳党费', points: -5, tiers: null, cap: null, selfClaim: false },
};

const isTiers = (v: unknown): boolean =>
  v === null ||
  (Array.isArray(v) &&
    v.every((t) => {
      const o = obj(t);
      return o !== null && typeof o.minQuantity === 'number' && typeof o.points === 'number';
    }));
const isCap = (v: unknown): boolean => {
  if (v === null) return true;
  const o = obj(v);
  return o !== null && (o.period === 'month' || o.period === 'year') && typeof o.maxPoints === 'number';
};

function configModel<S extends EntityBase & { builtin: boolean; active: boolean }>(
  kind: string,
  defaults: Record<string, object>,
  blank: Omit<S, keyof EntityBase | 'builtin' | 'active'>,
  readers: { [K in keyof S]?: (v: unknown) => S[K] | undefined },
): Model<S> {
  return {
    kind,
    init(id) {
      const d = Object.prototype.hasOwnProperty.call(defaults, id) ? defaults[id] : undefined;
      return Object.assign(baseState(kind, id), structuredClone(blank), d ? structuredClone(d) : {}, { exists: d !== undefined, builtin: d !== undefined, active: true }) as unknown as S;
    },
    apply(state: S, op: Op) {
      if (op.type !== `${kind}.set`) return state;
      markCreated(state, op);
      assignFields(state, obj(op.payload.fields), readers);
      return state;
    },
  };
}

export const ticketCategoryModel = configModel<TicketCategory>('ticket_category', DEFAULT_TICKET_CATEGORIES, { name: '', slaMinutes: 60, attributes: [] }, {
  name: f.str,
  slaMinutes: f.num,
  attributes: f.json<ServiceAttribute[]>(isServiceAttributes),
  active: f.bool,
});
export const helpTypeModel = configModel<HelpType>('help_type', DEFAULT_HELP_TYPES, { name: '' }, { name: f.str, active: f.bool });
export const certificateTypeModel = configModel<CertificateType>('certificate_type', DEFAULT_CERTIFICATE_TYPES, { name: '', template: '' }, {
  name: f.str,
  template: f.str,
  active: f.bool,
});
export const pointsRuleModel = configModel<PointsRule>('points_rule', DEFAULT_POINTS_RULES, { name: '', points: 0, tiers: null, cap: null, selfClaim: false }, {
  name: f.str,
  points: f.num,
  tiers: f.json<PointsTier[] | null>(isTiers),
  cap: f.json<PointsCap | null>(isCap),
  selfClaim: f.bool,
  active: f.bool,
});

/** Points a rule gives for one occurrence with this quantity (tiers: the highest reached; none reached: 0). */
export function rulePoints(rule: Pick<PointsRule, 'points' | 'tiers'>, quantity: number | null): number {
  if (!rule.tiers) return rule.points;
  let reached: PointsTier | null = null;
  for (const t of rule.tiers) if ((quantity ?? 0) >= t.minQuantity && (!reached || t.minQuantity > reached.minQuantity)) reached = t;
  return reached?.points ?? 0;
}
