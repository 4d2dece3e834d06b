import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { IncrementalRenderer } from '#appsets';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';

interface Entry {
  renderer: IncrementalRenderer;
  documentHash: string;
  /** The `renderedGeneration` this output was stored as. */
  generation: number;
  size: number;
}

/**
 * Rendered output of cluster-separable ApplicationSets kept in the worker between renders, so a
 * cluster change re-renders and re-stores only that cluster's Applications. Bounded by the
 * number of Applications held (FLOTILLA_RENDER_CACHE_APPLICATIONS); a miss is a full render.
 * Renders of one ApplicationSet are serialised in this process, so the held output is never
 * changed by two jobs at once.
 */
@Injectable()
export class RendererCache {
  private readonly cache: LRUCache<string, Entry> | undefined;
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    const max = config.FLOTILLA_RENDER_CACHE_APPLICATIONS;
    this.cache = max > 0 ? new LRUCache({ maxSize: max, sizeCalculation: (entry) => Math.max(1, entry.size) }) : undefined;
  }

  /** The held renderer, if it reflects exactly this document at this stored generation. */
  get(appSetId: string, documentHash: string, generation: number): IncrementalRenderer | undefined {
    const entry = this.cache?.get(appSetId);
    return entry && entry.documentHash === documentHash && entry.generation === generation ? entry.renderer : undefined;
  }

  set(appSetId: string, documentHash: string, generation: number, renderer: IncrementalRenderer): void {
    const size = renderer.size();
    if (this.cache && size <= this.cache.maxSize) this.cache.set(appSetId, { renderer, documentHash, generation, size });
    else this.cache?.delete(appSetId);
  }

  delete(appSetId: string): void {
    this.cache?.delete(appSetId);
  }

  /** Runs `work` when no other render of this ApplicationSet runs in this process. */
  async exclusive<T>(appSetId: string, work: () => Promise<T>): Promise<T> {
    const before = this.running.get(appSetId) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.catch(() => undefined);
    this.running.set(appSetId, settled);
    try {
      return await mine;
    } finally {
      if (this.running.get(appSetId) === settled) this.running.delete(appSetId);
    }
  }
}
