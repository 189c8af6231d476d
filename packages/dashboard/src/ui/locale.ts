/**
 * uPlot formats numbers with `navigator.language` as soon as it loads, and
 * `Intl` throws on a tag it cannot parse: Chromium under a POSIX locale
 * (`LANG=C`) reports `en-US@posix`. Imported before uPlot, this makes such a
 * page report `en-US` instead, so the charts load anywhere.
 */
function usableLanguage(): boolean {
  if (typeof navigator === 'undefined') return true;
  try {
    new Intl.NumberFormat(navigator.language);
    return true;
  } catch {
    Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
    return false;
  }
}

/** Whether the page's language tag was usable as it was (evaluating this module repairs it when it was not). */
export const LANGUAGE_WAS_USABLE: boolean = usableLanguage();
