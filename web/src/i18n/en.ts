import type zh from './zh-CN.ts';

const en: typeof zh = {
  app: { title: 'Village office', logout: 'Sign out', language: '中文', menu: 'Menu' },
  login: { title: 'Sign in', username: 'User name', password: 'Password', submit: 'Sign in', failed: 'Sign-in failed' },
  menu: { users: 'Accounts', tickets: 'Reports', certificates: 'Certificates', announcements: 'Announcements', cameras: 'Cameras', verify: 'Verify certificate' },
  role: { admin: 'Administrator', cadre: 'Cadre', grid_worker: 'Grid worker', party_secretary: 'Party secretary', party_member: 'Party member', villager: 'Villager', technician: 'Technician', viewer: 'Viewer' },
  common: { role: 'Role', active: 'Active', disabled: 'Disabled', refresh: 'Refresh', all: 'All', status: 'Status', actions: 'Actions', back: 'Back', save: 'Save', cancel: 'Cancel', confirm: 'OK', none: 'Nothing here', done: 'Done', created: 'Created', note: 'Note', reason: 'Reason', required: 'Required' },
  ticket: {
    slaMinutes: 'limit {n} min', new: 'New', id: 'No.', category: 'Category', description: 'Description', place: 'Place', reporter: 'Reporter', assignee: 'Assignee', sla: 'Response SLA', deadline: 'Deadline', overdue: 'Overdue', remaining: 'Left', stopped: 'Responded',
    breachedOnly: 'Overdue only', photos: 'Photos', history: 'History', comments: 'Comments', comment: 'Add comment',
    status: { submitted: 'Submitted', assigned: 'Assigned', in_progress: 'In progress', resolved: 'Resolved', closed: 'Closed', rejected: 'Rejected', duplicate: 'Duplicate', reopened: 'Reopened' },
    action: { assign: 'Dispatch', start: 'Start', resolve: 'Resolve', confirm: 'Confirm fix', close: 'Close', reopen: 'Reopen', reject: 'Reject' },
    op: { created: 'Filed', updated: 'Edited', comment: 'Comment', photo: 'Photos added', footage: 'Footage linked', escalated: 'Escalated' },
    assignTo: 'Assign to', pickAssignee: 'Pick who', noAssignees: 'No account can be assigned', resolveNote: 'What was done', filed: 'Filed', notFound: 'No such report',
  },
  cert: {
    applicant: 'Applicant', type: 'Type', purpose: 'Purpose', idNumber: 'ID number', code: 'Verification code', issued: 'Issued', pdf: 'Download PDF', request: 'Request',
    status: { requested: 'Requested', under_review: 'Under review', approved: 'Approved', rejected: 'Rejected', revoked: 'Revoked' },
    action: { 'start-review': 'Start review', approve: 'Approve', reject: 'Reject', revoke: 'Revoke' },
    verifyTitle: 'Verify a certificate', verifyCode: 'Code printed on the certificate', verify: 'Verify', valid: 'Certificate is valid', invalid: 'Not verified',
  },
  ann: {
    tab: { party: 'Party', village: 'Village', finance: 'Finance' }, title: 'Title', body: 'Text', new: 'New draft', published: 'Published',
    status: { draft: 'Draft', pending_review: 'Pending review', published: 'Published', rejected: 'Sent back', withdrawn: 'Withdrawn' },
    action: { submit: 'Submit', publish: 'Publish', reject: 'Send back', withdraw: 'Withdraw' },
  },
  cam: { name: 'Name', live: 'Live', playback: 'Playback', state: 'State', enabled: 'Recording', disabled: 'Disabled', zone: 'Zone', day: 'Day', noFootage: 'No footage in this period', pick: 'Pick a camera', unsupported: 'This browser cannot play live video' },
  screen: {
    title: 'Village at a glance', live: 'Live', reconnecting: 'Reconnecting…', connecting: 'Connecting…', unauthorized: 'This screen is not authorised: open it with the link from cunbox kiosk create', badToken: 'The screen token is invalid or expired',
    village: 'Village', households: 'Households', population: 'Population', cameras: 'Cameras', online: 'Online', offline: 'Offline', since: 'since {time}', loading: 'Loading…', minutesAgo: '{n} min ago',
    wall: 'Camera wall', page: 'Page {n}/{of}', perPage: 'Tiles per page', noCameras: 'No cameras',
    tickets: 'Reports', today: 'Today', open: 'Open', overdue: 'Overdue', remaining: 'Left', overdueBy: 'Overdue', noDue: 'Nothing waiting',
    help: 'Help requests (open)', urgent: '{n} urgent', noHelp: 'No open requests',
    events: 'Latest events', motion: 'Activity by zone (24 h)', noEvents: 'No events', party: 'Party points TOP10 ({month})', activity: 'Checkpoint / motion per hour', points: 'Points',
    disk: 'Storage left', days: '{n} days', cloud: 'Cloud', cloudOn: 'Connected', cloudOff: 'Disconnected', cloudNone: 'Not set up', ticker: 'Public affairs', noAnnouncements: 'Nothing published',
    eventType: { camera_online: 'Camera online', camera_offline: 'Camera offline', motion: 'Motion', camera_motion: 'Motion', checkpoint_pass: 'Checkpoint', storage_retention_short: 'Retention short', storage_foreign_usage: 'Disk used by others' },
  },
  errors: { load: 'Could not load', network: 'Cannot reach the box' },
};
export default en;
