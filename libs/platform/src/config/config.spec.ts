import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const token = 'x'.repeat(40);

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('config', () => {
  it('has the defaults of API.md "Running"', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/ipv4market',
      redisUrl: 'redis://127.0.0.1:6379',
      registryMode: 'sandbox',
      paymentsProvider: 'manual',
      sandboxTimeTravel: false,
      platformAdminTokenGenerated: true,
      sandboxBaseUrl: 'http://127.0.0.1:3000',
      rpkiVrpsUrl: 'http://127.0.0.1:3000/sandbox/rpki/vrps.json',
    });
    expect(c.platformAdminToken.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}).platformAdminToken).not.toBe(c.platformAdminToken);
  });

  it('reads every setting it is given', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_URL: 'postgresql://u@db:5432/x',
      REDIS_URL: 'rediss://cache:6380',
      PLATFORM_ADMIN_TOKEN: token,
      REGISTRY_MODE: 'live',
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_1',
      STRIPE_WEBHOOK_SECRET: 'whsec_1',
      STRIPE_API_BASE: 'http://127.0.0.1:12111',
      RPKI_VRPS_URL: 'https://rpki.example.net/vrps.json',
    });
    expect(c).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      databaseUrl: 'postgresql://u@db:5432/x',
      redisUrl: 'rediss://cache:6380',
      platformAdminToken: token,
      platformAdminTokenGenerated: false,
      registryMode: 'live',
      paymentsProvider: 'stripe',
      stripe: { secretKey: 'sk_test_1', webhookSecret: 'whsec_1', apiBase: 'http://127.0.0.1:12111' },
      rpkiVrpsUrl: 'https://rpki.example.net/vrps.json',
    });
  });

  it("reads the VRPs from the sandbox in sandbox mode and from a public rpki-client export in live mode", () => {
    expect(loadConfig({ SANDBOX_BASE_URL: 'http://sandbox.test:8080/' }).rpkiVrpsUrl).toBe('http://sandbox.test:8080/sandbox/rpki/vrps.json');
    expect(loadConfig({ PORT: '4000' }).rpkiVrpsUrl).toBe('http://127.0.0.1:4000/sandbox/rpki/vrps.json');
    expect(loadConfig({ REGISTRY_MODE: 'live' }).rpkiVrpsUrl).toBe('https://console.rpki-client.org/vrps.json');
    expect(loadConfig({ REGISTRY_MODE: 'live', RPKI_VRPS_URL: 'http://10.0.0.5:8080/vrps.json' }).rpkiVrpsUrl).toBe('http://10.0.0.5:8080/vrps.json');
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', SANDBOX_TIME_TRAVEL: '' })).toMatchObject({ port: 3000, sandboxTimeTravel: false });
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT .*\(got "abc"\)$/],
    [{ PORT: '70000' }, /PORT/],
    [{ PORT: '3.5' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL/],
    [{ REGISTRY_MODE: 'prod' }, /REGISTRY_MODE/],
    [{ PAYMENTS_PROVIDER: 'paypal' }, /PAYMENTS_PROVIDER/],
    [{ SANDBOX_TIME_TRAVEL: 'yes' }, /SANDBOX_TIME_TRAVEL/],
    [{ RPKI_VRPS_URL: 'ftp://rpki.example.net/vrps.json' }, /RPKI_VRPS_URL must be a http:\/\/ or https:\/\/ URL/],
    [{ RPKI_VRPS_URL: 'vrps.json' }, /RPKI_VRPS_URL/],
    [{ NODE_ENV: 'production' }, /PLATFORM_ADMIN_TOKEN is required when NODE_ENV=production/],
    [{ PAYMENTS_PROVIDER: 'stripe' }, /STRIPE_SECRET_KEY is required when PAYMENTS_PROVIDER=stripe; STRIPE_WEBHOOK_SECRET is required/],
    [{ SANDBOX_TIME_TRAVEL: 'true', REGISTRY_MODE: 'live' }, /SANDBOX_TIME_TRAVEL may only be true when REGISTRY_MODE=sandbox/],
    [{ PLATFORM_ADMIN_TOKEN: 'short' }, /PLATFORM_ADMIN_TOKEN must be at least 32 characters \(got "\*\*\*"\)/],
  ])('refuses %j with one line naming the setting', (env, message) => {
    const text = errorOf(env);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('never echoes a secret back', () => {
    expect(errorOf({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_live_secret' })).not.toContain('sk_live_secret');
    expect(errorOf({ PLATFORM_ADMIN_TOKEN: 'hunter2' })).not.toContain('hunter2');
  });
});
