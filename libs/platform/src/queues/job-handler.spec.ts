import { describe, expect, it } from '@jest/globals';
import { checkHandlers } from './job-handler.js';
import { JOBS } from './queue-names.js';

const handler = (name: string) => ({ name, handle: () => Promise.resolve(name) });

/** One handler for every job name of queue-names.ts. */
function complete(): Map<string, unknown[]> {
  return new Map(Object.keys(JOBS).map((name) => [name, [handler(name)]]));
}

describe('checkHandlers', () => {
  it('accepts exactly one handler per job name and maps each name to it', () => {
    const found = complete();
    const handlers = checkHandlers(found);
    expect([...handlers.keys()].sort()).toEqual(Object.keys(JOBS).sort());
    for (const [name, h] of handlers) expect(h).toBe(found.get(name)![0]);
  });

  it.each(Object.keys(JOBS))('refuses a registry where %s has no handler, naming it', (name) => {
    const found = complete();
    found.delete(name);
    expect(() => checkHandlers(found)).toThrow(`${name} has 0 handlers`);
    found.set(name, []);
    expect(() => checkHandlers(found)).toThrow(`${name} has 0 handlers`);
  });

  it.each(Object.keys(JOBS))('refuses a registry where %s has two handlers, naming it', (name) => {
    const found = complete();
    found.set(name, [handler(name), handler(name)]);
    expect(() => checkHandlers(found)).toThrow(`${name} has 2 handlers`);
  });

  it('refuses a handler of a job name that queue-names.ts does not list, naming it', () => {
    const found = complete();
    found.set('audit.verify-chian', [handler('audit.verify-chian')]);
    expect(() => checkHandlers(found)).toThrow('audit.verify-chian is not a known job');
  });

  it('names every problem at once', () => {
    const found = new Map<string, unknown[]>([['nope.unknown', [handler('x')]]]);
    let message = '';
    try {
      checkHandlers(found);
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of Object.keys(JOBS)) expect(message).toContain(`${name} has 0 handlers`);
    expect(message).toContain('nope.unknown is not a known job');
  });
});
