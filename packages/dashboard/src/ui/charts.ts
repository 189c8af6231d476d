/**
 * Charts on uPlot: a canvas drawn by uPlot, named for assistive technology
 * (`role="img"` with a summary), always next to a table of the same numbers.
 * uPlot's own legend is off (its table is not keyboard friendly); a text
 * readout follows the pointer instead.
 */
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
// Before uPlot, which reads `navigator.language` as it loads.
import { LANGUAGE_WAS_USABLE } from './locale.ts';
import uPlot from 'uplot';

export interface SeriesSpec {
  readonly label: string;
  readonly color: string;
  /** A dash pattern, so lines differ by more than colour. */
  readonly dash?: number[];
}

const AXIS = { stroke: '#374151', grid: { stroke: '#e5e7eb', width: 1 }, ticks: { stroke: '#d1d5db', width: 1 }, font: '12px system-ui, sans-serif' };

interface ChartProps {
  /** The accessible name and the visible caption's text. */
  readonly label: string;
  /** One sentence of what the chart shows now: its text alternative. */
  readonly summary: string;
  readonly series: readonly SeriesSpec[];
  /** Columns: x first, then one per series. */
  readonly data: uPlot.AlignedData;
  /** Changes whenever `data` does. */
  readonly version: number | string;
  readonly kind?: 'time' | 'bars';
  readonly height?: number;
  /** How the pointer readout names a value. */
  readonly format?: (value: number) => string;
}

function options(props: ChartProps, width: number, readout: HTMLElement): uPlot.Options {
  const format = props.format ?? ((v: number) => String(Math.round(v * 100) / 100));
  const bars = props.kind === 'bars';
  return {
    width,
    height: props.height ?? 180,
    legend: { show: false },
    cursor: bars ? { show: false } : { y: false, points: { show: false } },
    padding: [8, 8, 0, 0],
    scales: bars
      ? { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } }
      : // With one sample (or none), uPlot would spread the axis over years: show the last minute instead.
        {
          x: { time: true, range: (_u, min, max) => (max - min < 1 ? [max - 60, max] : [min, max]) },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
    axes: [
      bars
        ? { ...AXIS, incrs: [1], values: (_u, splits) => splits.map((s) => `${s}`), label: 'attempts used', labelSize: 20, labelFont: AXIS.font }
        : { ...AXIS },
      { ...AXIS, size: 56 },
    ],
    series: [
      {},
      ...props.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        ...(s.dash === undefined ? {} : { dash: s.dash }),
        ...(bars ? { fill: s.color, paths: uPlot.paths.bars!({ size: [0.6, 48] }), points: { show: false } } : { points: { show: false } }),
      })),
    ],
    hooks: bars
      ? {}
      : {
          setCursor: [
            (u) => {
              const i = u.cursor.idx;
              if (i === null || i === undefined) {
                readout.textContent = '';
                return;
              }
              const at = u.data[0][i];
              const parts = props.series.map((s, k) => {
                const v = u.data[k + 1]?.[i];
                return `${s.label} ${v === null || v === undefined ? '–' : format(v)}`;
              });
              readout.textContent = `${at === undefined ? '' : new Date(at * 1000).toLocaleTimeString()}: ${parts.join(', ')}`;
            },
          ],
        },
  };
}

/** A uPlot chart that follows its container's width. */
export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLParagraphElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const el = host.current!;
    const u = new uPlot(options(latest.current, Math.max(160, el.clientWidth), readout.current!), latest.current.data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const width = Math.max(160, el.clientWidth);
      if (width !== u.width) u.setSize({ width, height: u.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [props.series.map((s) => s.label).join('|'), props.kind]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.version]);

  return h(
    'figure',
    { class: 'chart', 'data-language': LANGUAGE_WAS_USABLE ? undefined : 'en-US' },
    h('div', { class: 'chart-canvas', ref: host, role: 'img', 'aria-label': `${props.label}. ${props.summary}` }),
    h(
      'figcaption',
      null,
      h(
        'ul',
        { class: 'chart-key', 'aria-hidden': 'true' },
        props.series.map((s) =>
          h('li', { key: s.label }, h('span', { class: `swatch${s.dash === undefined ? '' : ' dashed'}`, style: { borderColor: s.color } }), s.label),
        ),
      ),
      h('p', { class: 'chart-readout', ref: readout, 'aria-hidden': 'true' }),
    ),
  );
}
