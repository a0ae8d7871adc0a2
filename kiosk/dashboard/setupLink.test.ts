import { describe, expect, it } from 'vitest';
import { setupCodeIn, setupLinkFor, takeSetupCode } from './setupLink';

describe('setupLink', () => {
  it('[C5] puts the set-up code in the fragment of the dashboard address, never in the path or query', () => {
    const link = setupLinkFor('https://gym.example', 'K7QM-3XRD-P2WF');

    expect(link).toBe('https://gym.example/dashboard/#setup=K7QM-3XRD-P2WF');
    expect(setupCodeIn(new URL(link).hash)).toBe('K7QM-3XRD-P2WF');
  });

  it('reads no code from another fragment, an empty one or a broken escape', () => {
    expect(setupCodeIn('')).toBeNull();
    expect(setupCodeIn('#now')).toBeNull();
    expect(setupCodeIn('#setup=')).toBeNull();
    expect(setupCodeIn('#setup=%E0%A4%A')).toBeNull();
  });

  it('takes the code out of the address, keeping the path and query', () => {
    const replaced: string[] = [];
    const history = {
      state: null,
      replaceState: (_: unknown, __: string, url?: string | URL | null) =>
        void replaced.push(String(url)),
    };
    const location = { hash: '#setup=AB12-CD34-EF56', pathname: '/dashboard/', search: '?x=1' };

    expect(takeSetupCode(location, history)).toBe('AB12-CD34-EF56');
    expect(replaced).toEqual(['/dashboard/?x=1']);
    expect(takeSetupCode({ ...location, hash: '' }, history)).toBeNull();
    expect(replaced).toHaveLength(1);
  });
});
