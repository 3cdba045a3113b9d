import { governanceModels, type FieldCipher } from '@cunbox/shared';
import type { Db } from '../../edge/src/db/database.ts';
import type { Clock } from '../../edge/src/clock.ts';
import type { Logger } from '../../edge/src/log.ts';
import type { UserStore } from '../../edge/src/auth/users.ts';
import type { HoldStore } from '../../edge/src/storage/holds.ts';
import type { GovContext } from '../../edge/src/governance/common.ts';
import { Governance } from '../../edge/src/governance/governance.ts';
import { MediaStore, type MediaLimits } from '../../edge/src/governance/media.ts';
import { OpStore } from '../../edge/src/governance/store.ts';
import { SlaMonitor, TicketService, footageHoldHook, type EscalationEvent } from '../../edge/src/governance/tickets.ts';
import { HelpService } from '../../edge/src/governance/help.ts';
import { CertificateService } from '../../edge/src/governance/certificates.ts';
import { AnnouncementService } from '../../edge/src/governance/announcements.ts';
import { PartyService } from '../../edge/src/governance/party.ts';

export interface TestGovernanceDeps {
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
  cipher?: FieldCipher;
  /** Told the entity kinds of every committed change (the big screen's push). */
  onChanged?: (kinds: readonly string[]) => void;
}

/** Governance over one database, its parts wired as the Edge composition root wires them. */
export function testGovernance(deps: TestGovernanceDeps): Governance {
  const { db, clock, users } = deps;
  const log = deps.log.child({ module: 'governance' });
  const hooks = { ticket: footageHoldHook(db, deps.holds) };
  const store = new OpStore({ db, clock, log, models: governanceModels, hooks, cipher: deps.cipher, onChanged: deps.onChanged });
  const media = new MediaStore({ db, clock, dataDir: deps.dataDir, limits: deps.mediaLimits });
  const ctx: GovContext = { store, clock, log, media, users };
  return new Governance({
    store,
    media,
    log,
    tickets: new TicketService(ctx),
    help: new HelpService(ctx),
    certificates: new CertificateService(ctx, { fontPath: deps.cjkFontPath }),
    announcements: new AnnouncementService(ctx),
    party: new PartyService(ctx),
    sla: new SlaMonitor(ctx, { intervalMs: deps.slaIntervalMs, onEscalation: deps.onEscalation }),
  });
}
