export default {
  app: { title: '村务工作台', logout: '退出登录', language: 'English', menu: '菜单' },
  login: { title: '登录', username: '用户名', password: '密码', submit: '登录', failed: '登录失败' },
  menu: { users: '账号管理', tickets: '随手拍', certificates: '证明开具', announcements: '三务公开', cameras: '视频监控', verify: '证明核验' },
  role: { admin: '管理员', cadre: '村干部', grid_worker: '网格员', party_secretary: '党支部书记', party_member: '党员', villager: '村民', technician: '技术员', viewer: '只读用户' },
  common: { role: '角色', active: '正常', disabled: '已停用', refresh: '刷新', all: '全部', status: '状态', actions: '操作', back: '返回', save: '保存', cancel: '取消', confirm: '确定', none: '暂无数据', done: '已完成', created: '创建时间', note: '备注', reason: '原因', required: '必填' },
  ticket: {
    slaMinutes: '时限 {n} 分钟', new: '新建', id: '编号', category: '类别', description: '描述', place: '地点', reporter: '上报人', assignee: '处理人', sla: '响应时限', deadline: '截止', overdue: '已超时', remaining: '剩余', stopped: '已响应',
    breachedOnly: '只看超时', photos: '照片', history: '处理记录', comments: '评论', comment: '添加评论',
    status: { submitted: '待派单', assigned: '已派单', in_progress: '处理中', resolved: '已办结', closed: '已关闭', rejected: '已驳回', duplicate: '重复', reopened: '已重开' },
    action: { assign: '派单', start: '开始处理', resolve: '办结', confirm: '确认解决', close: '关闭', reopen: '重开', reject: '驳回' },
    op: { created: '提交', updated: '修改', comment: '评论', photo: '补充照片', footage: '关联录像', escalated: '超时升级' },
    assignTo: '派给', resolveNote: '处理结果', filed: '已提交', notFound: '没有这条随手拍',
  },
  cert: {
    applicant: '申请人', type: '证明类型', purpose: '用途', idNumber: '身份证号', code: '核验码', issued: '出具时间', pdf: '下载 PDF', request: '申请证明',
    status: { requested: '待审核', under_review: '审核中', approved: '已通过', rejected: '已驳回', revoked: '已撤销' },
    action: { 'start-review': '开始审核', approve: '通过', reject: '驳回', revoke: '撤销' },
    verifyTitle: '核验证明', verifyCode: '输入证明上的核验码', verify: '核验', valid: '证明有效', invalid: '核验未通过',
  },
  ann: {
    tab: { party: '党务', village: '村务', finance: '财务' }, title: '标题', body: '正文', new: '写公告', published: '发布时间',
    status: { draft: '草稿', pending_review: '待审核', published: '已发布', rejected: '已退回', withdrawn: '已撤回' },
    action: { submit: '送审', publish: '发布', reject: '退回', withdraw: '撤回' },
  },
  cam: { name: '名称', live: '实时', playback: '回放', state: '状态', enabled: '录像中', disabled: '已停用', zone: '区域', day: '日期', noFootage: '该时段没有录像', pick: '选择摄像头', unsupported: '此浏览器不支持实时视频' },
  errors: { load: '加载失败', network: '无法连接到设备' },
};
