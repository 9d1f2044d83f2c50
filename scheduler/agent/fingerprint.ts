import { statfs } from 'node:fs/promises';
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';

/**
 * What an agent tells the server about its machine at registration: capacity (cpu in MHz,
 * memory and disk in MB), Nomad-style attributes (`cpu.arch`, `kernel.name`, `os.name`,
 * `driver.exec`, …) that constraints read through `${attr.*}`, and the operator's `meta`
 * (`rack`, …) read through `${meta.*}`. Configured values override detected ones so tests can
 * run three "machines" on one host.
 */
export interface Fingerprint {
  /** Total CPU in MHz (cores × clock), as Nomad counts it. */
  cpuMhz: number;
  memoryMb: number;
  /** Free space on the data directory's filesystem, the budget for allocation directories. */
  diskMb: number;
  attributes: Record<string, string>;
}

/** Overrides from the agent config; anything left out is detected. */
export interface FingerprintOverrides {
  cpuMhz?: number | undefined;
  memoryMb?: number | undefined;
  diskMb?: number | undefined;
}

/** Detects the machine's capacity and attributes; `dataDir` decides which filesystem is measured. */
export async function fingerprint(dataDir: string, overrides: FingerprintOverrides = {}): Promise<Fingerprint> {
  const cores = cpus();
  // Some virtual machines report a clock of 0; Nomad then falls back to a nominal speed.
  const mhzPerCore = cores.reduce((max, core) => Math.max(max, core.speed), 0) || 2000;
  const stats = await statfs(dataDir);
  const detectedDiskMb = Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
  const cpuMhz = overrides.cpuMhz ?? cores.length * mhzPerCore;
  const memoryMb = overrides.memoryMb ?? Math.floor(totalmem() / (1024 * 1024));
  const diskMb = overrides.diskMb ?? detectedDiskMb;
  return {
    cpuMhz,
    memoryMb,
    diskMb,
    attributes: {
      'cpu.numcores': String(cores.length),
      'cpu.frequency': String(mhzPerCore),
      'cpu.totalcompute': String(cpuMhz),
      'cpu.arch': arch() === 'x64' ? 'amd64' : arch(),
      'memory.totalbytes': String(memoryMb * 1024 * 1024),
      'unique.storage.bytesfree': String(diskMb * 1024 * 1024),
      'kernel.name': platform(),
      'kernel.version': release(),
      'os.name': platform(),
      'unique.hostname': hostname(),
      'driver.exec': '1',
      'nomad.version': '1.0.0',
      'pilotfish.version': '0.1.0',
    },
  };
}
