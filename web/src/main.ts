import { createApp } from 'vue';
import 'element-plus/theme-chalk/base.css';
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import App from './App.vue';
import { router } from './router.ts';
import { i18n } from './i18n/index.ts';
import { setUnauthenticatedHandler } from './api/errors.ts';
import { setUser } from './session.ts';
import './style.css';

// A session that ended (idle timeout, password changed elsewhere) sends the user to the login page.
// The office screen has no login page: it shows what is wrong on the screen itself.
setUnauthenticatedHandler(() => {
  if (router.currentRoute.value.path.startsWith('/screen')) return;
  setUser(null);
  if (router.currentRoute.value.path !== '/login') void router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } });
});

createApp(App).use(i18n).use(router).mount('#app');
