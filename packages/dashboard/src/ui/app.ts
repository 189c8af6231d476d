/**
 * The page `dashboard()` serves: asks for an API token (kept in
 * sessionStorage, for this tab only), then shows the dashboard over the
 * edge API with it. The page itself holds no data: everything comes from
 * the API, behind its bearer auth. Its settings come from the root
 * element's `data-*` attributes, which the server writes.
 */
import { h, render } from 'preact';
import { useState } from 'preact/hooks';
import { Dashboard } from './dashboard.ts';
import { edgeSource } from './edge-source.ts';
import { codeOf, message } from './format.ts';
import type { DashboardSource } from './source.ts';

interface PageConfig {
  readonly api: string;
  readonly queues?: readonly string[];
  readonly pollMs?: number;
  readonly title: string;
}

function configOf(root: HTMLElement): PageConfig {
  const data = root.dataset;
  const queues = data.queues === undefined || data.queues === '' ? undefined : (JSON.parse(data.queues) as string[]);
  const pollMs = data.pollMs === undefined ? undefined : Number(data.pollMs);
  return {
    api: data.api === undefined || data.api === '' ? location.origin : new URL(data.api, location.href).href.replace(/\/+$/, ''),
    title: data.title ?? 'Baton',
    ...(queues === undefined ? {} : { queues }),
    ...(pollMs === undefined || !Number.isFinite(pollMs) ? {} : { pollMs }),
  };
}

function Login(props: { config: PageConfig; error: string | null; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState(props.error);
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (value === '') {
      setError('Enter a token.');
      return;
    }
    setChecking(true);
    setError(null);
    try {
      const probe = sourceFor(props.config, value);
      const [first] = await probe.queues();
      if (first !== undefined) await probe.metrics(first);
      props.onToken(value);
    } catch (failure) {
      if (codeOf(failure) === 'unauthorized') setError('The API refused this token.');
      else props.onToken(value); // not the token's fault: the dashboard shows what is wrong
    } finally {
      setChecking(false);
    }
  };
  return h(
    'div',
    { class: 'bd' },
    h(
      'main',
      { class: 'login' },
      h('h1', null, props.config.title),
      h('p', null, 'Enter an API token to see its queues at ', h('span', { class: 'mono' }, props.config.api), '.'),
      h('p', { class: 'muted' }, 'The token is kept for this tab only (sessionStorage), and sent only to the API.'),
      h(
        'form',
        { onSubmit: submit, 'aria-describedby': error === null ? undefined : 'login-error' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'token' }, 'API token'),
          h('input', {
            id: 'token',
            name: 'token',
            type: 'password',
            autocomplete: 'off',
            spellcheck: false,
            required: true,
            value: token,
            'aria-invalid': error === null ? undefined : 'true',
            onInput: (e: Event) => setToken((e.currentTarget as HTMLInputElement).value),
          }),
        ),
        error === null ? null : h('p', { id: 'login-error', class: 'error', role: 'alert' }, error),
        h('button', { type: 'submit', class: 'primary', disabled: checking }, checking ? 'Checking…' : 'Open the dashboard'),
      ),
    ),
  );
}

function sourceFor(config: PageConfig, token: string): DashboardSource {
  return edgeSource({ baseUrl: config.api, token, ...(config.queues === undefined ? {} : { queues: config.queues }) });
}

function App(props: { config: PageConfig }) {
  const { config } = props;
  const key = `baton-dashboard:token:${config.api}`;
  const [source, setSource] = useState<DashboardSource | null>(() => {
    const saved = sessionStorage.getItem(key);
    return saved === null ? null : sourceFor(config, saved);
  });
  const [error, setError] = useState<string | null>(null);
  const signOut = (why: string | null) => {
    sessionStorage.removeItem(key);
    setError(why);
    setSource(null);
  };
  if (source === null) {
    return h(Login, {
      config,
      error,
      onToken: (token) => {
        sessionStorage.setItem(key, token);
        setError(null);
        setSource(sourceFor(config, token));
      },
    });
  }
  return h(Dashboard, {
    source,
    options: {
      title: config.title,
      hash: true,
      ...(config.pollMs === undefined ? {} : { pollMs: config.pollMs }),
      onSignOut: () => signOut(null),
      onUnauthorized: (why) => signOut(`The API refused the token: ${message(why)}`),
    },
  });
}

const root = document.getElementById('baton-dashboard');
if (root !== null) {
  document.title = root.dataset.title ?? 'Baton';
  render(h(App, { config: configOf(root) }), root);
}
