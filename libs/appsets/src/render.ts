import {
  AggregateSpecError,
  type Application,
  ARGO_API_VERSION,
  FLOTILLA_API_VERSION,
  FlotillaError,
  fieldPath,
  type JsonObject,
  type ParamSet,
  RESOURCES_FINALIZER,
  RenderError,
  SpecError,
} from '#contracts';
import {
  createDefaultRegistry,
  type GeneratorRegistry,
  type GeneratorSources,
  type ParamMode,
  parseYaml,
  runGeneratorEntry,
  yamlErrorReason,
} from '#generators';
import { type CompiledTree, compileTree, createHandlebarsEngine, fastTemplateEngine, type TemplateEngine } from '#templating';
import { applyMergePatch } from './merge-patch.js';
import type { ApplicationSet } from './schema.js';

export interface RenderOptions {
  sources: GeneratorSources;
  registry?: GeneratorRegistry;
}

export interface RenderResult {
  applications: Application[];
  /** The generator parameters each Application was rendered from (same order as `applications`). */
  params: ParamSet[];
  /** The index in `spec.generators` of the entry that produced each Application (same order). */
  entries: number[];
  /** Problems that do not stop rendering but would stop Kubernetes or Argo CD (invalid names, ...). */
  warnings: string[];
}

const MAX_REPORTED_ERRORS = 20;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The template language and param shape an ApplicationSet asks for. */
export function templateLanguage(appSet: ApplicationSet): { engine: TemplateEngine; mode: ParamMode } {
  if (appSet.apiVersion === FLOTILLA_API_VERSION) {
    if (appSet.spec.goTemplate)
      throw new SpecError('spec.goTemplate', `${FLOTILLA_API_VERSION} ApplicationSets use Handlebars; remove goTemplate`);
    const strict = appSet.spec.goTemplateOptions?.includes('missingkey=error') ?? false;
    return { engine: createHandlebarsEngine({ strict }), mode: 'nested' };
  }
  if (appSet.spec.goTemplate) {
    throw new SpecError(
      'spec.goTemplate',
      `Go templates are not supported yet; use fasttemplate ({{param}}) or apiVersion ${FLOTILLA_API_VERSION} with Handlebars`,
    );
  }
  return { engine: fastTemplateEngine, mode: 'flat' };
}

/**
 * Turns one validated ApplicationSet into the Applications it stands for, as Argo CD's
 * controller would generate them. All or nothing: any error rejects the whole set, with
 * every error found (up to a limit) reported together.
 */
export async function renderApplicationSet(appSet: ApplicationSet, options: RenderOptions): Promise<RenderResult> {
  const registry = options.registry ?? createDefaultRegistry();
  const { engine, mode } = templateLanguage(appSet);
  const errors: FlotillaError[] = [];
  const applications: Application[] = [];
  const paramSets: ParamSet[] = [];
  const entries: number[] = [];
  const compiledTemplates = new Map<unknown, CompiledTree>();
  const patch = appSet.spec.templatePatch === undefined ? undefined : engine.compile(appSet.spec.templatePatch, 'spec.templatePatch');
  const apiVersion = appSet.apiVersion === FLOTILLA_API_VERSION ? FLOTILLA_API_VERSION : ARGO_API_VERSION;

  for (const [i, entry] of appSet.spec.generators.entries()) {
    const path = fieldPath('spec.generators', i);
    try {
      const result = await runGeneratorEntry(
        entry,
        registry,
        { mode, engine, sources: options.sources, path },
        { baseTemplate: appSet.spec.template },
      );
      let template = compiledTemplates.get(result.template);
      if (!template) {
        template = compileTree(
          result.template,
          engine,
          result.template === appSet.spec.template ? 'spec.template' : fieldPath(path, 'template'),
        );
        compiledTemplates.set(result.template, template);
      }
      for (const params of result.params) {
        try {
          applications.push(renderApplication(appSet, apiVersion, template, params, patch));
          paramSets.push(params);
          entries.push(i);
        } catch (error) {
          collect(errors, error);
        }
      }
    } catch (error) {
      collect(errors, error);
    }
    if (errors.length >= MAX_REPORTED_ERRORS) break;
  }
  errors.push(...duplicateNameErrors(appSet, applications));
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateSpecError(errors.slice(0, MAX_REPORTED_ERRORS));
  return { applications, params: paramSets, entries, warnings: applicationWarnings(applications) };
}

function collect(errors: FlotillaError[], error: unknown): void {
  if (error instanceof AggregateSpecError) errors.push(...error.errors);
  else if (error instanceof FlotillaError) errors.push(error);
  else throw error;
}

interface RenderedTemplate {
  metadata?: Application['metadata'];
  spec?: JsonObject;
}

function renderApplication(
  appSet: ApplicationSet,
  apiVersion: string,
  template: CompiledTree,
  params: ParamSet,
  patch: ((params: ParamSet) => string) | null | undefined,
): Application {
  const rendered = template.render(params) as RenderedTemplate;
  const { name, namespace, ...rest } = rendered.metadata ?? ({} as Partial<Application['metadata']>);
  // Applications live in their ApplicationSet's namespace, whatever the template says.
  const appNamespace = appSet.metadata.namespace ?? namespace;
  const metadata: Application['metadata'] = {
    name: name ?? '',
    ...(appNamespace === undefined ? {} : { namespace: appNamespace }),
    ...rest,
  };
  // Argo CD leaves the template untouched, finalizer included, for an empty parameter set.
  const empty = Object.keys(params).length === 0;
  if (!empty && (metadata.finalizers?.length ?? 0) === 0 && !appSet.spec.syncPolicy?.preserveResourcesOnDeletion) {
    metadata.finalizers = [RESOURCES_FINALIZER];
  }
  let application: Application = { apiVersion, kind: 'Application', metadata, spec: (rendered.spec ?? {}) as JsonObject };
  if (patch !== undefined) {
    application = patchApplication(application, patch === null ? (appSet.spec.templatePatch as string) : patch(params));
    if (appNamespace !== undefined) application.metadata = { ...application.metadata, namespace: appNamespace };
  }
  if (!application.metadata.name)
    throw new RenderError('spec.template.metadata.name', `renders to an empty name for params ${JSON.stringify(params)}`);
  return application;
}

function patchApplication(application: Application, patchText: string): Application {
  let patch: unknown;
  try {
    patch = parseYaml(patchText);
  } catch (error) {
    throw new RenderError('spec.templatePatch', `does not render to valid YAML: ${yamlErrorReason(error)}`);
  }
  if (patch === null || patch === undefined) return application;
  if (typeof patch !== 'object' || Array.isArray(patch)) throw new RenderError('spec.templatePatch', 'must render to a map');
  const patched = applyMergePatch(application, patch) as Application;
  return { ...patched, apiVersion: application.apiVersion, kind: 'Application' };
}

function duplicateNameErrors(appSet: ApplicationSet, applications: Application[]): RenderError[] {
  const seen = new Set<string>();
  const reported = new Set<string>();
  const errors: RenderError[] = [];
  for (const app of applications) {
    const name = app.metadata.name;
    if (seen.has(name) && !reported.has(name)) {
      reported.add(name);
      errors.push(
        new RenderError(
          'spec.template.metadata.name',
          `ApplicationSet ${appSet.metadata.name} generates more than one Application named "${name}"`,
        ),
      );
    }
    seen.add(name);
  }
  return errors;
}

export function applicationWarnings(applications: Application[]): string[] {
  const warnings: string[] = [];
  for (const app of applications) {
    const { name } = app.metadata;
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      warnings.push(
        `Application "${name}": not a valid Kubernetes object name (lower case letters, digits, "-" and ".", at most 253 characters)`,
      );
    }
    const destination = app.spec.destination as { server?: string; name?: string } | undefined;
    if (!destination?.server && !destination?.name)
      warnings.push(`Application "${name}": spec.destination names neither a server nor a cluster name`);
    else if (destination.server && destination.name)
      warnings.push(`Application "${name}": spec.destination sets both server and name; set one`);
  }
  return warnings;
}
