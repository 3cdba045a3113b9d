import { createApp } from 'vue';
import App from './App.vue';
import { lang } from './text.ts';
import './style.css';

document.documentElement.lang = lang.value;
createApp(App).mount('#app');
// The app shell offline (public/sw.js). Scope /m/: the API is never under it.
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => undefined);
