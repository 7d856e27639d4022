// Stands in for '@sinclair/typebox/compiler' in the portal build (vite.config.ts).
// TypeCompiler generates code with new Function(), which the portal's
// Content-Security-Policy (no 'unsafe-eval') refuses; Chromium then logs a
// CSP violation even though the core catches the error and falls back to
// TypeBox's interpreter (core src/event/schema-check.ts). Failing here,
// before any code generation, takes that fallback without the violation.
export const TypeCompiler = {
  Compile(): never {
    throw new Error('code generation is not allowed under the portal CSP');
  },
};
