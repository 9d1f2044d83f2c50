import { createHmac } from 'node:crypto';

/**
 * The HMAC key for migration tokens (token.ts), derived from the cluster token that the server
 * (`managementToken`) and every agent (`token`) already hold, so migrations work with
 * authentication on and without another secret to distribute (Nomad #12314). Derivation with a
 * fixed label means the key is never the token itself and a leaked migration token reveals
 * neither. Rotating the cluster token rotates the key; tokens in flight then fail verification and
 * the destination falls back to the data-lost path.
 */
export function deriveMigrationKey(clusterToken: string): Buffer {
  return createHmac('sha256', clusterToken).update('pilotfish migration token key v1').digest();
}
