import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Repo, RepoError } from '../src/db/repo.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const ada = { email: 'ada@example.com', name: 'Ada', address: '12 Pine St, Portland, OR' };

describe('Repo.open()', () => {
  it('on a path, creates the file and its folder, and keeps the rows after a reopen', () => {
    const folder = mkdtempSync(join(tmpdir(), 'actorkit-repo-'));
    folders.push(folder);
    const path = join(folder, 'nested', 'data', 'examples.db');
    const repo = Repo.open(path);
    expect(existsSync(path)).toBe(true);
    const user = repo.insertUser(ada);
    repo.setCrmId(user.id, 'crm_1');
    repo.recordSetupFailure(user.id, 'fulfillment', 'gave up');
    repo.close();

    // Opening again migrates nothing away: the schema is created only if missing.
    const again = Repo.open(path);
    expect(again.listUsers()).toEqual([{ ...user, crmId: 'crm_1' }]);
    expect(again.listSetupFailures()).toMatchObject([{ userId: user.id, step: 'fulfillment' }]);
    expect(() => again.insertUser(ada)).toThrow(RepoError);
    again.close();
  });

  it('without a path, is in memory: each open starts empty', () => {
    const first = Repo.open();
    first.insertUser(ada);
    const second = Repo.open();
    expect(second.listUsers()).toEqual([]);
    first.close();
    second.close();
  });
});
