/**
 * The page's built files, as strings, so a Worker can serve them without a
 * static-assets binding. In the sources this list is empty: the package's
 * build (`scripts/build-ui.ts`, run by `npm run build`) bundles the UI with
 * Vite and writes the real list into `dist/assets.js`.
 */
export interface Asset {
  /** The file name, with a hash of its content: served with a year-long cache. */
  readonly name: string;
  readonly contentType: string;
  readonly body: string;
}

/** The page's script and style sheet (empty until built). */
export const ASSETS: readonly Asset[] = [];
