/**
 * Reloads on change: watches the configuration file and the files it names (the OpenAPI
 * document, keys files) through their directories — editors and deploy tools replace files by
 * renaming, which a watch on the file itself would miss — and debounces a burst of events into
 * one reload.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Watches `files` and calls `reload` once per burst of changes.
 *
 * @example
 * ```ts
 * const stop = watchFiles(['/etc/portcullis/portcullis.yaml'], () => void gateway.reload('file changed'), 300);
 * ```
 */
export function watchFiles(files: readonly string[], reload: () => void, debounceMs = 300): () => void {
  const byDir = new Map<string, Set<string>>();
  for (const f of files) {
    const names = byDir.get(dirname(f)) ?? new Set<string>();
    names.add(basename(f));
    byDir.set(dirname(f), names);
  }
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    const w = watch(dir, { persistent: false }, (_event, name) => {
      if (name !== null && names.has(name.toString())) changed();
    });
    w.on('error', () => undefined);
    watchers.push(w);
  }
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
