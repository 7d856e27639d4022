#!/usr/bin/env node
// Checked-in launcher so that the bin link exists before the first build.
import('../dist/main.js')
  .then((m) => m.main(process.argv))
  .catch((error) => {
    if (
      error &&
      error.code === 'ERR_MODULE_NOT_FOUND' &&
      String(error.message).includes('dist/main.js')
    ) {
      console.error('logproof: not built yet; run `npm run build` in the repository first');
    } else {
      console.error(error);
    }
    process.exit(2);
  });
