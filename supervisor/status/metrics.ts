import { Gauge, Registry } from 'prom-client';
import type { Recipe } from '../../recipes/recipe.js';
import type { BackupStats } from '../backups/backup-scheduler.js';
import type { MemberState } from '../member-state.js';

const ROLES = ['primary', 'replica', 'starting', 'stopped'] as const;

/**
 * The supervisor's Prometheus metrics, computed from its state when scraped (no background
 * updates): role, replication lag and position, last backup age/bytes/duration, lease renewals,
 * database restarts, process watchdog kills, HA cycles.
 */
export function createMetrics(state: MemberState, recipe: Recipe, backups: () => BackupStats | null): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, collect: (g: Gauge) => void, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        collect(this);
      },
    });
  gauge('pilotfish_role', 'Current role of this member (1 for the active role)', (g) => {
    for (const role of ROLES) g.set({ role }, state.role === role ? 1 : 0);
  }, ['role']);
  gauge('pilotfish_replication_lag_seconds', 'Seconds behind the primary (-1 when not replicating)', (g) =>
    g.set(state.health?.lagSeconds ?? -1),
  );
  gauge('pilotfish_replication_position', 'Transactions in the replication position (sum of GTID sequence numbers)', (g) =>
    g.set(recipe.positionProgress(state.health?.position ?? '')),
  );
  gauge('pilotfish_last_backup_age_seconds', 'Seconds since the last backup this member took finished (-1 when none)', (g) => {
    const last = backups()?.lastSuccess;
    g.set(last ? (Date.now() - Date.parse(last.at)) / 1000 : -1);
  });
  gauge('pilotfish_last_backup_bytes', 'Stored bytes of the last backup this member took', (g) => g.set(backups()?.lastSuccess?.bytes ?? 0));
  gauge('pilotfish_last_backup_duration_seconds', 'Duration of the last backup this member took', (g) =>
    g.set((backups()?.lastSuccess?.durationMs ?? 0) / 1000),
  );
  gauge('pilotfish_last_backup_dedup_bytes', 'Bytes the last snapshot this member took did not upload (already in the store)', (g) =>
    g.set(backups()?.lastSuccess?.dedupBytes ?? 0),
  );
  gauge('pilotfish_backup_failures', 'Consecutive failed backup attempts', (g) => g.set(backups()?.failures ?? 0));
  gauge('pilotfish_lease_renewals_total', 'Leader lease renewals by result', (g) => {
    g.set({ result: 'ok' }, state.leaseRenewals);
    g.set({ result: 'lost' }, state.leaseRenewalFailures);
  }, ['result']);
  gauge('pilotfish_database_restarts_total', 'Times the database was restarted after a crash', (g) => g.set(recipe.restarts));
  gauge('pilotfish_watchdog_kills_total', 'Times the process watchdog killed the database because the lease was not renewed in time', (g) =>
    g.set(state.watchdogKills),
  );
  gauge('pilotfish_ha_cycles_total', 'HA loop cycles run', (g) => g.set(state.haCycles));
  return registry;
}
