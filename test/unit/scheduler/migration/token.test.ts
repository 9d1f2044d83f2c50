import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueMigrationToken, verifyMigrationToken } from '../../../../scheduler/migration/token.js';

const key = randomBytes(32);
const grant = { prevAllocId: 'alloc-1', destNodeId: 'node-b', expiresAtMs: 10_000 };
const request = { prevAllocId: 'alloc-1', destNodeId: 'node-b', nowMs: 5_000 };

describe('migration token', () => {
  it('MigrationToken_verify_acceptsItsGrant', () => {
    const check = verifyMigrationToken(key, issueMigrationToken(key, grant), request);
    expect(check).toEqual({ ok: true, grant });
  });

  it('MigrationToken_verify_missingIs401', () => {
    expect(verifyMigrationToken(key, undefined, request)).toMatchObject({ ok: false, status: 401 });
    expect(verifyMigrationToken(key, '', request)).toMatchObject({ ok: false, status: 401 });
  });

  it('MigrationToken_verify_refusesExpiredWrongAllocWrongNodeForgedWith403', () => {
    const token = issueMigrationToken(key, grant);
    expect(verifyMigrationToken(key, token, { ...request, nowMs: 10_000 })).toMatchObject({ status: 403, reason: 'migration token expired' });
    expect(verifyMigrationToken(key, token, { ...request, prevAllocId: 'alloc-2' })).toMatchObject({ status: 403 });
    expect(verifyMigrationToken(key, token, { ...request, destNodeId: 'node-c' })).toMatchObject({ status: 403 });
    expect(verifyMigrationToken(key, token, { ...request, destNodeId: undefined })).toMatchObject({ status: 403 });
    expect(verifyMigrationToken(randomBytes(32), token, request)).toMatchObject({ status: 403, reason: 'migration token signature invalid' });
    const [v, payload, mac] = token.split('.') as [string, string, string];
    const tampered = Buffer.from(payload, 'base64url').toString().replace('node-b', 'node-c');
    expect(verifyMigrationToken(key, `${v}.${Buffer.from(tampered).toString('base64url')}.${mac}`, request)).toMatchObject({ status: 403 });
    expect(verifyMigrationToken(key, 'garbage', request)).toMatchObject({ status: 403, reason: 'malformed migration token' });
  });

  it('MigrationToken_issue_tokensAreUniqueAndShortKeysRefused', () => {
    expect(issueMigrationToken(key, grant)).not.toBe(issueMigrationToken(key, grant));
    expect(() => issueMigrationToken(randomBytes(8), grant)).toThrow(/at least 32 bytes/);
  });
});
