// The bundle's entry (dist/widget.js, served at GET /widget.js): defines
// <logproof-audit-log> once, even when the script is included twice.
import { LogproofAuditLogElement } from './audit-log-element.js';

export const TAG_NAME = 'logproof-audit-log';

if (customElements.get(TAG_NAME) === undefined) {
  customElements.define(TAG_NAME, LogproofAuditLogElement);
}

export { LogproofAuditLogElement };

declare global {
  interface HTMLElementTagNameMap {
    'logproof-audit-log': LogproofAuditLogElement;
  }
}
