import { PilotfishError } from '../common/errors.js';
import { assertSecretName } from './secret-name.js';
import type { SecretStore } from './secret-store.js';

/** An in-memory SecretStore for unit tests of components that need secrets. */
export interface MemorySecretStore extends SecretStore {
  /** Sets or replaces a secret. */
  set(name: string, value: string): void;
  /** Calls the re-authentication listeners, as the Vault store does after a re-login. */
  reauthenticate(): void;
}

/** Creates a memory store holding `initial`; missing names give SECRET_NOT_FOUND like the real stores. */
export function createMemorySecretStore(initial: Record<string, string> = {}): MemorySecretStore {
  const values = new Map(Object.entries(initial));
  const listeners = new Set<() => void>();
  return {
    kind: 'memory',
    async get(name) {
      assertSecretName(name);
      const value = values.get(name);
      if (value === undefined) throw new PilotfishError('SECRET_NOT_FOUND', `secret "${name}" not found in the memory store`);
      return value;
    },
    set: (name, value) => void values.set(name, value),
    reauthenticate: () => {
      for (const listener of [...listeners]) listener();
    },
    onReauthenticated(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => undefined,
  };
}
