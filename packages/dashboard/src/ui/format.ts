/** Formatting for people: numbers, durations, times, JSON cut to a size a page can hold. */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

export function count(n: number): string {
  return integer.format(n);
}

export function rate(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : decimal.format(n);
}

export function percent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '–' : `${decimal.format(ratio * 100)} %`;
}

/** 850 ms, 1.2 s, 3 min 20 s, 2 h 5 min. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${decimal.format(ms)} ms`;
  if (ms < 60_000) return `${decimal.format(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const day = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' });

/** `2026-11-29 14:03:07.120`, local time. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  return `${day.format(d)} ${clock.format(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** `14:03:07`, local time. */
export function clockTime(ms: number): string {
  return clock.format(new Date(ms));
}

/** Pretty JSON, cut to `chars` characters (a payload may be 1 MiB). */
export function json(value: unknown, chars = 8000): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return text.length <= chars ? text : `${text.slice(0, chars)}\n… (${count(text.length - chars)} more characters)`;
}

/** The trace id of a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), or null. */
export function traceId(trace: { readonly traceparent: string } | null): string | null {
  if (trace === null) return null;
  const id = trace.traceparent.split('-')[1];
  return id === undefined || id === '' ? null : id;
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error's Baton code, if it has one. */
export function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}
