import type { Writable } from 'node:stream';
import type { Logger } from '../../common/logger.js';
import type { BackupSource, SourceRun } from '../source.js';
import { startProducer } from './producer.js';

/**
 * Any directory, as a tar stream from the `tar` binary (ownership, permissions and sparse files
 * handled by tar, not by us). Paths in the archive are relative to `path`.
 */
export class DirectorySource implements BackupSource {
  readonly kind = 'directory';
  readonly recipe = 'directory';
  readonly format = 'tar' as const;

  constructor(
    private readonly path: string,
    private readonly binary = 'tar',
  ) {}

  async open({ signal, output }: { signal: AbortSignal; logger: Logger; output: Writable }): Promise<SourceRun> {
    const producer = startProducer(this.binary, ['-c', '-f', '-', '--sparse', '-C', this.path, '.'], { signal, output });
    const result = producer.done.then(() => ({ position: null, serverVersion: null, flavor: null }));
    return { result };
  }
}
