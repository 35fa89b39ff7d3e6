import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/index.js';

describe('@actorkit/jobs', () => {
  it('loads, with better-sqlite3 built for this Node', () => {
    const db = new Database(':memory:');
    expect(db.prepare('SELECT sqlite_version() AS v').get()).toMatchObject({
      v: expect.any(String),
    });
    db.close();
    expect(VERSION).toBe('0.1.0');
  });
});
