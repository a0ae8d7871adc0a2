import { defineConfig, minimal2023Preset } from '@vite-pwa/assets-generator/config';

// App icons (192, 512, maskable 512, apple-touch 180, favicon) from the one source logo.
export default defineConfig({
  preset: minimal2023Preset,
  images: ['public/logo.svg'],
});
