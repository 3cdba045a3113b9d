import { governanceModels, type FieldCipher } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { UserStore } from '../auth/users.ts';
import type { HoldStore } from '../storage/holds.ts';
import type { GovContext } from './common.ts';
import { MediaStore, type MediaLimits } from './media.ts';
import { OpStore } from './store.ts';
import { SlaMonitor, TicketService, footageHoldHook, type EscalationEvent } from './tickets.ts';
import { HelpService } from './help.ts';
import { CertificateService } from './certificates.ts';
import { AnnouncementService } from './announcements.ts';
import { PartyService } from './party.ts';

export interface GovernanceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  dataDir: string;
  users: UserStore;
  holds: HoldStore;
  mediaLimits?: Partial<MediaLimits>;
  /** A font with CJK glyphs for certificate PDFs. */
  cjkFontPath?: string;
  slaIntervalMs?: number;
  onEscalation?: (e: EscalationEvent) => void;
  /** Encrypts sensitive fields at rest; the composition root passes one made from the data key. */
  cipher?: FieldCipher;
  /** Told the entity kinds of every committed change (the big screen's push). */
  onChanged?: (kinds: readonly string[]) => void;
}

/** Every governance service over one op store; start()/stop() run the SLA monitor. */
export class Governance {
  readonly store: OpStore;
  readonly media: MediaStore;
  readonly tickets: TicketService;
  readonly help: HelpService;
  readonly certificates: CertificateService;
  readonly announcements: AnnouncementService;
  readonly party: PartyService;
  readonly sla: SlaMonitor;

  readonly #log: Logger;

  constructor(deps: GovernanceDeps) {
    const log = deps.log.child({ module: 'governance' });
    this.#log = log;
    this.store = new OpStore({ db: deps.db, clock: deps.clock, log, models: governanceModels, hooks: { ticket: footageHoldHook(deps.db, deps.holds) }, cipher: deps.cipher, onChanged: deps.onChanged });
    this.media = new MediaStore({ db: deps.db, clock: deps.clock, dataDir: deps.dataDir, limits: deps.mediaLimits });
    const ctx: GovContext = { store: this.store, clock: deps.clock, log, media: this.media, users: deps.users };
    this.tickets = new TicketService(ctx);
    this.help = new HelpService(ctx);
    this.certificates = new CertificateService(ctx, { fontPath: deps.cjkFontPath });
    this.announcements = new AnnouncementService(ctx);
    this.party = new PartyService(ctx);
    this.sla = new SlaMonitor(ctx, { intervalMs: deps.slaIntervalMs, onEscalation: deps.onEscalation });
  }

  start(): void {
    const sealed = this.store.sealPlaintext();
    if (sealed > 0) this.#log.info({ rows: sealed }, 'sensitive fields written before encryption was on are now encrypted');
    this.sla.start();
  }

  stop(): void {
    this.sla.stop();
  }
}
