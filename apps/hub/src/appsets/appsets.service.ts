import { Injectable, NotFoundException } from '@nestjs/common';
import { type ApplicationSet, parseApplicationSets } from '#appsets';
import { SpecError } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import type { Prisma, ApplicationSet as StoredAppSet } from '../generated/prisma/client.js';
import { TriggersService } from '../pipeline/triggers.service.js';

const registry = createDefaultRegistry();
export const DEFAULT_NAMESPACE = 'flotilla';

/** ApplicationSets: validated on the way in, stored, and rendered by the pipeline. */
@Injectable()
export class AppSetsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly triggers: TriggersService,
    private readonly events: EventsService,
  ) {}

  /** Validates (400 with field paths on any problem) and creates or replaces by namespace and name. */
  async apply(source: string, actor: string): Promise<{ appSet: StoredAppSet; created: boolean }> {
    const documents = parseApplicationSets(source, registry, 'body');
    if (documents.length !== 1) throw new SpecError('', `send one ApplicationSet per request, got ${documents.length}`);
    const document = documents[0] as ApplicationSet;
    const namespace = document.metadata.namespace ?? DEFAULT_NAMESPACE;
    const name = document.metadata.name;
    const json = document as unknown as Prisma.InputJsonValue;
    const existing = await this.prisma.applicationSet.findUnique({ where: { namespace_name: { namespace, name } } });
    const appSet = existing
      ? await this.prisma.applicationSet.update({ where: { id: existing.id }, data: { document: json } })
      : await this.prisma.applicationSet.create({ data: { namespace, name, document: json } });
    await this.events.record({
      actor,
      type: existing ? 'ApplicationSetUpdated' : 'ApplicationSetCreated',
      subject: `applicationset/${namespace}/${name}`,
      message: existing ? 'spec replaced' : 'created',
    });
    await this.triggers.renderAppSets([appSet.id]);
    return { appSet, created: !existing };
  }

  /** Render now, with fresh git and re-planning every cluster it reaches (`flotilla sync`). */
  async sync(namespace: string, name: string, actor: string): Promise<StoredAppSet> {
    const appSet = await this.get(namespace, name);
    await this.triggers.renderAppSets([appSet.id], { planAllClusters: true });
    await this.events.record({ actor, type: 'SyncRequested', subject: `applicationset/${namespace}/${name}`, message: 'render requested' });
    return this.get(namespace, name);
  }

  async remove(namespace: string, name: string, actor: string): Promise<void> {
    const appSet = await this.get(namespace, name);
    const placed = await this.prisma.generatedApplication.findMany({
      where: { appSetId: appSet.id, clusterId: { not: null } },
      select: { clusterId: true },
    });
    await this.prisma.applicationSet.delete({ where: { id: appSet.id } });
    await this.events.record({ actor, type: 'ApplicationSetDeleted', subject: `applicationset/${namespace}/${name}`, message: 'deleted' });
    await this.triggers.planClusters(placed.map((p) => p.clusterId as string));
  }

  async get(namespace: string, name: string): Promise<StoredAppSet> {
    const appSet = await this.prisma.applicationSet.findUnique({ where: { namespace_name: { namespace, name } } });
    if (!appSet) throw new NotFoundException(`ApplicationSet ${namespace}/${name} not found`);
    return appSet;
  }

  list(): Promise<StoredAppSet[]> {
    return this.prisma.applicationSet.findMany({ orderBy: [{ namespace: 'asc' }, { name: 'asc' }] });
  }

  async applications(namespace: string, name: string): Promise<Array<{ name: string; cluster: string | null; application: unknown }>> {
    const appSet = await this.get(namespace, name);
    const rows = await this.prisma.generatedApplication.findMany({
      where: { appSetId: appSet.id },
      include: { cluster: { select: { name: true } } },
      orderBy: { name: 'asc' },
    });
    return rows.map((row) => ({ name: row.name, cluster: row.cluster?.name ?? null, application: row.application }));
  }

  async previews(namespace: string, name: string): Promise<unknown[]> {
    const appSet = await this.get(namespace, name);
    const rows = await this.prisma.preview.findMany({
      where: { appSetId: appSet.id },
      orderBy: [{ state: 'asc' }, { lastActivityAt: 'desc' }],
      include: { _count: { select: { applications: true } } },
    });
    return rows.map(({ settings: _settings, _count, ...row }) => ({ ...row, applications: _count.applications }));
  }
}

export function appSetView(appSet: StoredAppSet): Record<string, unknown> {
  return {
    namespace: appSet.namespace,
    name: appSet.name,
    generation: appSet.generation,
    renderedGeneration: appSet.renderedGeneration,
    renderedAt: appSet.renderedAt,
    conditions: appSet.conditions,
    spec: (appSet.document as { spec?: unknown }).spec,
  };
}
