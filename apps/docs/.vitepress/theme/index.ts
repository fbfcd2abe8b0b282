import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import { defineAsyncComponent } from 'vue';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    // Loaded only on the playground page, and only in the browser (it starts a Web Worker).
    app.component('Playground', defineAsyncComponent(() => import('../../playground/components/Playground.vue')));
  },
} satisfies Theme;
