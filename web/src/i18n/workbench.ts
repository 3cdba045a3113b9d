// Texts of the workbench pages beyond tickets, certificates and announcements (help and
// residents, party, accounts, tokens, audit, health, exports). Not in the first load: the
// router merges them in (loadWorkbenchTexts) before the first of these pages shows; the
// menu labels they need earlier are in menu-texts.ts.

export const zhWorkbench = {
  help: {
    type: '帮扶类型', resident: '对象', urgent: '紧急', urgentOnly: '只看紧急', ask: '申请帮扶', asked: '已提交申请', detail: '申请详情', followUps: '回访记录', followUp: '回访内容',
    status: { submitted: '待分派', assigned: '已分派', in_progress: '帮扶中', resolved: '已帮扶', closed: '已结案', cancelled: '已取消' },
    action: { assign: '分派', start: '开始帮扶', resolve: '帮扶完成', close: '结案', cancel: '取消', followups: '记录回访' },
    op: { created: '提交', status: '状态变更', followup: '回访', reviewed: '已核对', updated: '修改' },
  },
  res: {
    name: '姓名', phone: '电话', address: '住址', gridWorker: '网格员', groups: '特殊群体', total: '共', add: '新增档案', added: '已新增',
    group: { dibao: '低保', disabled: '残障', elderly: '老龄' },
    show: '显示', maskedHint: '列表中的身份证号和电话已脱敏；点“显示”查看完整档案，该操作会记入审计日志。', audited: '本次查看已记入审计日志。',
  },
  party: {
    tab: { ranking: '积分排行', claims: '积分申报', sessions: '三会一课', members: '党员', dues: '党费' },
    top10: '{period} 积分 TOP10', member: '党员', rule: '积分项目', date: '日期', newClaim: '申报积分', claimed: '已提交申报', branch: '支部', joinedOn: '入党日期', livingAway: '流动党员', yes: '是', points: '积分',
    claimStatus: { submitted: '待审核', approved: '已通过', rejected: '已驳回', withdrawn: '已撤回' },
    action: { approve: '通过', reject: '驳回', withdraw: '撤回' },
    type: { branch_assembly: '支部党员大会', branch_committee: '支部委员会', group_meeting: '党小组会', party_lecture: '党课', theme_day: '主题党日' },
    sessionStatus: { scheduled: '待召开', finalized: '已归档', cancelled: '已取消' },
    sessionType: '类型', startAt: '时间', location: '地点', attendance: '签到人数', newSession: '安排会议', scheduled: '已安排', remoteAllowed: '允许远程参会',
    checkin: '签到', checkinRemote: '远程签到', checkedIn: '已签到', signedIn: '已签到',
    standard: '月标准(元)', lastPaid: '缴至', owed: '欠缴月份', none: '无', pay: '登记缴费', paid: '已登记', months: '月份', perMonth: '每月金额(元)',
  },
  users: { new: '新建账号', created: '已创建', saved: '已保存', displayName: '姓名', enable: '启用', disable: '停用', reset: '重置密码', newPassword: '新密码', passwordSet: '密码已重置', resetHint: '重置后该账号的登录和令牌全部失效。', policy: '密码至少 8 位，含大写、小写字母、数字、符号中的三类，且不能包含用户名。' },
  tokens: { name: '令牌名称', days: '有效天数', create: '创建令牌', created: '令牌已创建', once: '令牌只显示这一次，请立即复制保存：', hide: '我已保存', expires: '到期', lastUsed: '最近使用', revoke: '吊销', revoked: '令牌已吊销', revokedState: '已吊销' },
  audit: { at: '时间', actor: '操作人', action: '操作', target: '对象', detail: '详情', verify: '校验审计链', chainOk: '审计链完整（{rows} 条）', chainBroken: '审计链在第 {id} 条处断开', newer: '较新', older: '较早', page: '第 {n} 页' },
  system: {
    storage: '存储', audit: '审计链', ok: '正常', warn: '有警告', used: '已用空间', total: '总容量', free: '剩余', footage: '录像', others: '其他程序', perDay: '每天写入', lasts: '按当前码率可存',
    days: '{n} 天', noStorage: '本机未开启录像存储', cameras: '各摄像头保存天数', camera: '摄像头', required: '要求保存', holds: '证据保全', bitrate: '码率', warnings: '警告',
    doctor: '本机自检', doctorRun: '重新检查', doctorRunning: '检查中…', doctorSummary: '{fail} 项失败，{warn} 项警告，{pass} 项通过',
    verdict: { pass: '通过', warn: '警告', fail: '失败' },
    check: { ffmpeg: 'ffmpeg', disk: '数据盘', time: '时间同步', cameras: '摄像头', database: '数据库', ports: '端口', api: 'HTTP 接口', 'disk-health': '硬盘健康', inodes: 'inode', watchdog: '看门狗', backups: '备份' },
  },
  exp: {
    new: '导出录像', by: '创建人', minutes: '时长(分钟)', cameras: '摄像头', from: '开始', to: '结束', reason: '事由', queued: '已加入导出队列', progress: '进度', download: '下载', manifest: '清单', cancel: '取消', retry: '重试', holds: '证据保全', addHold: '保全录像', held: '已保全', release: '解除', released: '已解除',
    status: { queued: '排队中', running: '导出中', done: '已完成', failed: '失败', cancelled: '已取消' },
    timeline: '7 天时间轴', days7: '最近 7 天', events: '事件', jump: '跳到', scrub: '拖动选择时刻', at: '时刻', play: '播放', gap: '无录像',
  },
};

export const enWorkbench: typeof zhWorkbench = {
  help: {
    type: 'Kind of help', resident: 'Resident', urgent: 'Urgent', urgentOnly: 'Urgent only', ask: 'Ask for help', asked: 'Request sent', detail: 'Request', followUps: 'Follow-ups', followUp: 'Follow-up',
    status: { submitted: 'Submitted', assigned: 'Assigned', in_progress: 'In progress', resolved: 'Helped', closed: 'Closed', cancelled: 'Cancelled' },
    action: { assign: 'Assign', start: 'Start', resolve: 'Helped', close: 'Close', cancel: 'Cancel', followups: 'Add follow-up' },
    op: { created: 'Submitted', status: 'Status', followup: 'Follow-up', reviewed: 'Reviewed', updated: 'Changed' },
  },
  res: {
    name: 'Name', phone: 'Phone', address: 'Address', gridWorker: 'Grid worker', groups: 'Special groups', total: 'Total', add: 'Add profile', added: 'Added',
    group: { dibao: 'Minimum allowance', disabled: 'Disability', elderly: 'Elderly' },
    show: 'Show', maskedHint: 'ID and phone numbers are masked in the list; "Show" opens the full profile, and that read is written to the audit log.', audited: 'This read was written to the audit log.',
  },
  party: {
    tab: { ranking: 'Points ranking', claims: 'Points claims', sessions: 'Meetings', members: 'Members', dues: 'Dues' },
    top10: 'Points TOP10 · {period}', member: 'Member', rule: 'Points item', date: 'Date', newClaim: 'Claim points', claimed: 'Claim sent', branch: 'Branch', joinedOn: 'Joined', livingAway: 'Lives away', yes: 'Yes', points: 'Points',
    claimStatus: { submitted: 'Pending', approved: 'Approved', rejected: 'Rejected', withdrawn: 'Withdrawn' },
    action: { approve: 'Approve', reject: 'Reject', withdraw: 'Withdraw' },
    type: { branch_assembly: 'Branch assembly', branch_committee: 'Branch committee', group_meeting: 'Group meeting', party_lecture: 'Party lecture', theme_day: 'Theme day' },
    sessionStatus: { scheduled: 'Scheduled', finalized: 'Finalized', cancelled: 'Cancelled' },
    sessionType: 'Kind', startAt: 'Starts', location: 'Place', attendance: 'Signed in', newSession: 'Schedule', scheduled: 'Scheduled', remoteAllowed: 'Remote attendance allowed',
    checkin: 'Sign in', checkinRemote: 'Sign in remotely', checkedIn: 'Signed in', signedIn: 'Signed in',
    standard: 'Monthly (CNY)', lastPaid: 'Paid up to', owed: 'Months owed', none: 'None', pay: 'Record payment', paid: 'Payment recorded', months: 'Months', perMonth: 'Per month (CNY)',
  },
  users: { new: 'New account', created: 'Account created', saved: 'Saved', displayName: 'Name', enable: 'Enable', disable: 'Disable', reset: 'Reset password', newPassword: 'New password', passwordSet: 'Password reset', resetHint: 'Resetting ends all of the account\'s sessions and tokens.', policy: 'At least 8 characters, with three of: upper case, lower case, digits, symbols; not containing the user name.' },
  tokens: { name: 'Token name', days: 'Valid for (days)', create: 'Create token', created: 'Token created', once: 'The token is shown only this once; copy it now:', hide: 'I have saved it', expires: 'Expires', lastUsed: 'Last used', revoke: 'Revoke', revoked: 'Token revoked', revokedState: 'Revoked' },
  audit: { at: 'Time', actor: 'Actor', action: 'Action', target: 'Target', detail: 'Detail', verify: 'Verify chain', chainOk: 'Audit chain intact ({rows} rows)', chainBroken: 'Audit chain broken at row {id}', newer: 'Newer', older: 'Older', page: 'Page {n}' },
  system: {
    storage: 'Storage', audit: 'Audit chain', ok: 'OK', warn: 'Warnings', used: 'Space used', total: 'Capacity', free: 'Free', footage: 'Footage', others: 'Other programs', perDay: 'Written per day', lasts: 'Lasts at current bitrate',
    days: '{n} days', noStorage: 'This box does not record', cameras: 'Days kept per camera', camera: 'Camera', required: 'Required', holds: 'Evidence holds', bitrate: 'Bitrate', warnings: 'Warnings',
    doctor: 'Self-check', doctorRun: 'Check again', doctorRunning: 'Checking…', doctorSummary: '{fail} failed, {warn} warnings, {pass} passed',
    verdict: { pass: 'Pass', warn: 'Warning', fail: 'Fail' },
    check: { ffmpeg: 'ffmpeg', disk: 'Data disk', time: 'Time sync', cameras: 'Cameras', database: 'Database', ports: 'Ports', api: 'HTTP API', 'disk-health': 'Disk health', inodes: 'Inodes', watchdog: 'Watchdog', backups: 'Backups' },
  },
  exp: {
    new: 'Export video', by: 'Created by', minutes: 'Length (minutes)', cameras: 'Cameras', from: 'From', to: 'To', reason: 'Reason', queued: 'Export queued', progress: 'Progress', download: 'Download', manifest: 'Manifest', cancel: 'Cancel', retry: 'Retry', holds: 'Evidence holds', addHold: 'Hold footage', held: 'Footage held', release: 'Release', released: 'Released',
    status: { queued: 'Queued', running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' },
    timeline: '7-day timeline', days7: 'Last 7 days', events: 'Events', jump: 'Jump to', scrub: 'Drag to pick a moment', at: 'Moment', play: 'Play', gap: 'No footage',
  },
};
