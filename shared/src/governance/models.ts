import type { Model } from '../oplog/fold.ts';
import { announcementModel } from './announcement.ts';
import { certificateModel } from './certificate.ts';
import { certificateTypeModel, helpTypeModel, pointsRuleModel, ticketCategoryModel } from './config.ts';
import { helpRequestModel, residentModel } from './help.ts';
import { partyMemberModel, partySessionModel, pointClaimModel } from './party.ts';
import { ticketModel } from './ticket.ts';

/** Every governance entity kind: what the edge and the cloud fold. */
export const governanceModels: readonly Model[] = [
  ticketModel,
  ticketCategoryModel,
  residentModel,
  helpRequestModel,
  helpTypeModel,
  certificateModel,
  certificateTypeModel,
  announcementModel,
  partyMemberModel,
  pointClaimModel,
  partySessionModel,
  pointsRuleModel,
] as unknown as readonly Model[];
