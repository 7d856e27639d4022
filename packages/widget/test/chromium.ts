// One launcher for every browser suite: Debian's Chromium through
// playwright-core, never a downloaded browser (packages/portal/test/chromium.ts).
export {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchChromium,
  type LaunchedChromium as Chromium,
} from '../../portal/test/chromium.js';
