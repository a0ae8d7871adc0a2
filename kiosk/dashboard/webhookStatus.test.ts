import { describe, expect, it } from 'vitest';
import type { WebhookEndpointInfo } from '../../shared/integrationProtocol';
import { formatClock } from '../formatting';
import { pausedNotice, webhookStatus } from './webhookStatus';

const at = (time: string) => Date.parse(`2026-03-10T${time}:00Z`);
const NOW = at('15:00');
const clock = (time: string) => formatClock(at(time), 'UTC');

const endpoint = (changes: Partial<WebhookEndpointInfo> = {}): WebhookEndpointInfo => ({
  id: 'wh1',
  url: 'https://billing.example/hooks',
  events: ['check-in'],
  siteId: null,
  privateNetwork: false,
  createdAt: at('09:00'),
  createdBy: 'u1',
  pausedAt: null,
  pauseReason: null,
  lastStatus: null,
  lastAttemptAt: null,
  lastSuccessAt: null,
  pending: 0,
  failed: 0,
  ...changes,
});
const status = (changes: Partial<WebhookEndpointInfo>) =>
  webhookStatus(endpoint(changes), NOW, 'UTC');

describe('webhookStatus', () => {
  it('says nothing was sent yet to a new endpoint, and how many wait', () => {
    expect(status({})).toEqual({ state: 'new', text: 'Nothing sent yet', failed: null });
    expect(status({ pending: 2 }).text).toBe('Nothing sent yet, 2 waiting');
  });

  it('says an endpoint is delivering with the time of its last success', () => {
    const ok = status({
      lastStatus: '200',
      lastAttemptAt: at('14:10'),
      lastSuccessAt: at('14:10'),
    });
    expect(ok).toEqual({
      state: 'delivering',
      text: `Delivering — last delivered at ${clock('14:10')}`,
      failed: null,
    });
  });

  it('[I3] says an endpoint whose last attempt failed is retrying, with what failed, when, and how many wait', () => {
    const retrying = status({
      lastStatus: '503',
      lastAttemptAt: at('14:20'),
      lastSuccessAt: at('14:10'),
      pending: 3,
    });
    expect(retrying.state).toBe('retrying');
    expect(retrying.text).toBe(`Retrying — last attempt: HTTP 503 at ${clock('14:20')}, 3 waiting`);
    expect(
      status({ lastStatus: 'connection refused', lastAttemptAt: at('14:20'), pending: 1 }).text,
    ).toBe(`Retrying — last attempt: connection refused at ${clock('14:20')}, 1 waiting`);
  });

  it('says the last attempt failed when nothing waits any more', () => {
    const failing = status({ lastStatus: '500', lastAttemptAt: at('14:20'), failed: 1 });
    expect(failing).toEqual({
      state: 'failing',
      text: `Last attempt failed: HTTP 500 at ${clock('14:20')}, nothing waiting`,
      failed: '1 delivery given up after a day of retrying',
    });
  });

  it('[I3] says a paused endpoint is paused and why, whatever its last attempt', () => {
    const paused = status({
      pausedAt: at('14:00'),
      pauseReason: 'failing for a day',
      lastStatus: '503',
      lastAttemptAt: at('14:00'),
      pending: 4,
      failed: 12,
    });
    expect(paused).toEqual({
      state: 'paused',
      text: 'Paused: failing for a day, 4 waiting',
      failed: '12 deliveries given up after a day of retrying',
    });
    expect(status({ pausedAt: at('14:00') }).text).toBe('Paused: by an admin');
  });
});

describe('pausedNotice', () => {
  it('says how many webhooks are paused, and that their events are kept', () => {
    const paused = endpoint({ pausedAt: at('14:00') });
    expect(pausedNotice([endpoint()])).toBeNull();
    expect(pausedNotice([paused, endpoint()])).toBe(
      '1 webhook is paused — events for it are kept and sent when you resume.',
    );
    expect(pausedNotice([paused, paused])).toBe(
      '2 webhooks are paused — events for them are kept and sent when you resume.',
    );
  });
});
