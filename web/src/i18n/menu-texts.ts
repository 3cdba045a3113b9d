// The labels of the workbench menus (the rest of those pages' texts load with them: workbench.ts).
export const zhMenu = {
  menu: { help: '帮扶申请', residents: '特殊群体', party: '党建', exports: '录像导出', audit: '审计日志', system: '系统状态', tokens: 'API 令牌' },
};

export const enMenu: typeof zhMenu = {
  menu: { help: 'Help requests', residents: 'Special groups', party: 'Party', exports: 'Video export', audit: 'Audit log', system: 'System', tokens: 'API tokens' },
};
