import type { Logger } from '../log.ts';
import type { MediaStore } from './media.ts';
import type { OpStore } from './store.ts';
import type { SlaMonitor, TicketService } from './tickets.ts';
import type { HelpService } from './help.ts';
import type { CertificateService } from './certificates.ts';
import type { AnnouncementService } from './announcements.ts';
import type { PartyService } from './party.ts';

/** The governance services, built by the composition root over one op store and one media store. */
export interface GovernanceParts {
  store: OpStore;
  media: MediaStore;
  tickets: TicketService;
  help: HelpService;
  certificates: CertificateService;
  announcements: AnnouncementService;
  party: PartyService;
  sla: SlaMonitor;
  /** The governance module's logger (start() reports the fields it sealed). */
  log: Logger;
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

  constructor(parts: GovernanceParts) {
    this.store = parts.store;
    this.media = parts.media;
    this.tickets = parts.tickets;
    this.help = parts.help;
    this.certificates = parts.certificates;
    this.announcements = parts.announcements;
    this.party = parts.party;
    this.sla = parts.sla;
    this.#log = parts.log;
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
