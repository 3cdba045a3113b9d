/**
 * CLI strings, zh-CN first. LANG/LC_ALL decide: zh* → Chinese, anything else →
 * English. Keys are English so a missing translation still reads sensibly.
 */
const zh: Record<string, string> = {
  'id': '编号',
  'name': '名称',
  'zone': '区域',
  'main URL': '主码流',
  'sub URL': '子码流',
  'user': '用户',
  'enabled': '启用',
  'retention': '保留天数',
  'state': '状态',
  'since': '起始',
  'last error': '最近错误',
  'segments': '片段数',
  'size': '大小',
  'oldest': '最早',
  'newest': '最新',
  'bitrate': '码率',
  'yes': '是',
  'no': '否',
  'default': '默认',
  'no cameras': '尚未添加摄像头',
  'camera added': '已添加摄像头',
  'disk': '磁盘',
  'free': '可用',
  'reserved': '保留',
  'recordings': '录像',
  'days at current bitrate': '按当前码率可存天数',
  'check passed': '检查通过：索引与文件一致',
  'problems found': '发现问题',
  'repaired': '已修复',
  'run with --repair to mend them (stop the edge first)': '使用 --repair 修复（请先停止 edge 服务）',
  'edge running; incoming segments skipped': 'edge 正在运行；跳过正在写入的片段',
  'recording to': '录像目录',
  'error': '错误',
  'connecting': '连接中',
  'recording': '录像中',
  'stalled': '无数据',
  'offline': '离线',
  'auth-failed': '认证失败',
  'stopped': '已停止',
  'idle': '空闲',
  'no holds': '没有证据保全',
  'hold added': '已添加证据保全',
  'hold released': '已解除证据保全',
  'export written': '已导出',
};

export type Lang = 'zh' | 'en';

export function detectLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const v = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh/i.test(v) ? 'zh' : 'en';
}

export function translator(lang: Lang): (key: string) => string {
  return (key) => (lang === 'zh' ? (zh[key] ?? key) : key);
}
