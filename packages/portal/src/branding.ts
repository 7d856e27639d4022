// Project branding (PATCH /v1/project): name, logo URL, accent colour. The
// values come from the server but were typed by a person: each is checked
// before it reaches the page.
import type { Branding } from './types.js';

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/** Black or white text, whichever reads better on `hex` (WCAG relative luminance). */
function contrastText(hex: string): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return l > 0.179 ? '#111111' : '#ffffff';
}

/** Sets --accent and --accent-contrast on the document; the default theme's when absent or malformed. */
export function applyAccent(color: string | null): void {
  const style = document.documentElement.style;
  if (color && HEX_COLOR.test(color)) {
    style.setProperty('--accent', color);
    style.setProperty('--accent-contrast', contrastText(color));
  } else {
    style.removeProperty('--accent');
    style.removeProperty('--accent-contrast');
  }
}

/** The logo URL when it is https (the only kind PATCH /v1/project accepts, and the CSP allows). */
export function safeLogoUrl(branding: Branding): string | null {
  const raw = branding.logo_url;
  if (!raw) return null;
  try {
    return new URL(raw).protocol === 'https:' ? raw : null;
  } catch {
    return null;
  }
}
