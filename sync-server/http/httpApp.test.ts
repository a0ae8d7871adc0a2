import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/apiProtocol';
import { rawRequest } from '../testing/rawHttp';
import { staffToken, startTestServer, type TestServer } from '../testing/testServer';
import { MAX_BODY_BYTES } from './httpApp';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const errorOf = (body: Buffer) => (JSON.parse(body.toString()) as ApiError).error;

describe('the HTTP edge', () => {
  it('answers a malformed URL with 400, in the API error shape under /api/', async () => {
    for (const path of ['/%', '/%E0%A4%A', '/kiosk/%zz']) {
      const answer = await rawRequest(t.server.port, path);
      expect(answer.status, path).toBe(400);
      expect(answer.headers['content-type'], path).toBe('text/plain; charset=utf-8');
    }
    for (const path of ['/api/%', '/api/devices/%zz', '/api/members/%/visits']) {
      const answer = await rawRequest(t.server.port, path);
      expect(answer.status, path).toBe(400);
      expect(errorOf(answer.body), path).toMatchObject({ code: 'bad-url' });
    }
  });

  it('answers unknown routes 404 and wrong methods 405 with Allow', async () => {
    const unknown = await t.api('GET', '/api/nothing-here');
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
    expect((await fetch(`http://127.0.0.1:${t.server.port}/nothing-here`)).status).toBe(404);
    for (const [method, path, allow] of [
      ['GET', '/api/session', 'POST'],
      ['POST', '/api/time', 'GET, HEAD'],
      ['PUT', '/api/devices/some-id', 'DELETE, PATCH'],
      ['POST', '/api/members/M1/visits', 'GET, HEAD'],
      ['POST', '/kiosk', 'GET, HEAD'],
      ['DELETE', '/healthz', 'GET, HEAD'],
    ]) {
      const answer = await rawRequest(t.server.port, path as string, { method });
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.allow, `${method} ${path}`).toBe(allow);
    }
    const wrong = await rawRequest(t.server.port, '/api/session');
    expect(errorOf(wrong.body)).toMatchObject({ code: 'method-not-allowed' });
  });

  it('refuses bodies that break the schema with 400 invalid, naming the field', async () => {
    for (const [body, field] of [
      [{ username: 42, password: 'a long enough one' }, 'username:'],
      [{ username: 'lee' }, 'password:'],
      [{ username: 'x'.repeat(41), password: 'a long enough one' }, 'username:'],
    ] as const) {
      const answer = await t.api<ApiError>('POST', '/api/session', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid');
      expect(answer.body.error.message.startsWith(field), answer.body.error.message).toBe(true);
    }
  });

  it('refuses a body that is not one JSON object, one too large, and prototype keys', async () => {
    const post = (body: string) =>
      rawRequest(t.server.port, '/api/session', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
    for (const body of ['[1]', '"text"', 'null', '{"a":', '{"__proto__":{"x":1}}']) {
      const answer = await post(body);
      expect(answer.status, body).toBe(400);
      expect(errorOf(answer.body), body).toMatchObject({ code: 'bad-json' });
    }
    const large = await post(JSON.stringify({ username: 'x'.repeat(MAX_BODY_BYTES) }));
    expect(large.status).toBe(413);
    expect(errorOf(large.body)).toMatchObject({ code: 'too-large' });
  });

  it('answers a path parameter that names no resource 404, after authentication', async () => {
    const { token } = await staffToken(t);
    const bad = await t.api('PATCH', `/api/devices/${'x'.repeat(65)}`, { name: 'Door' }, token);
    expect(bad).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
    const anonymous = await t.api('PATCH', '/api/devices/abc', { name: '' });
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 'no-token' } } });
  });

  it('serves an OpenAPI document of every API route, with request and answer schemas', async () => {
    const answer = await fetch(`http://127.0.0.1:${t.server.port}/api/openapi.json`);
    expect(answer.status).toBe(200);
    const doc = (await answer.json()) as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /api/time',
        'POST /api/setup',
        'POST /api/sites',
        'POST /api/sites/{id}/archive',
        'POST /api/sites/{id}/restore',
        'POST /api/session',
        'POST /api/session/refresh',
        'POST /api/session/end',
        'POST /api/pairing-codes',
        'POST /api/devices/pair',
        'POST /api/devices/token',
        'GET /api/devices',
        'PATCH /api/devices/{id}',
        'DELETE /api/devices/{id}',
        'GET /api/accounts',
        'POST /api/accounts',
        'PATCH /api/accounts/{id}',
        'DELETE /api/accounts/{id}',
        'POST /api/accounts/{id}/disable',
        'POST /api/accounts/{id}/enable',
        'POST /api/accounts/{id}/reset',
        'POST /api/accounts/setup',
        'GET /api/sites',
        'GET /api/sites/overview',
        'GET /api/staff',
        'GET /api/members/{memberId}/visits',
        'GET /api/members',
        'PUT /api/members/{memberId}',
        'POST /api/members/import',
        'GET /api/reports/visits',
        'GET /api/reports/peak-hours',
        'GET /api/reports/chain',
        'GET /api/public/sites/{siteId}/occupancy',
        'GET /busy/{siteId}',
        'POST /api/members:sync',
        'GET /api/integrations/keys',
        'POST /api/integrations/keys',
        'DELETE /api/integrations/keys/{id}',
        'GET /api/integrations/webhooks',
        'POST /api/integrations/webhooks',
        'PATCH /api/integrations/webhooks/{id}',
        'DELETE /api/integrations/webhooks/{id}',
      ].sort(),
    );
    const signIn = doc.paths['/api/session']?.post as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
      responses: Record<string, unknown>;
    };
    expect(signIn.requestBody.content['application/json'].schema.required).toEqual([
      'username',
      'password',
    ]);
    expect(Object.keys(signIn.responses).sort()).toEqual(['200', '4XX', '5XX']);
  });
});
