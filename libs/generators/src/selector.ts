import { z } from 'zod';

/** A Kubernetes label selector, as ApplicationSets use it on clusters and on generated params. */
export const labelSelectorSchema = z
  .strictObject({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z
          .strictObject({
            key: z.string().min(1, 'must not be empty'),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string()).optional(),
          })
          .superRefine((expr, ctx) => {
            const count = expr.values?.length ?? 0;
            if ((expr.operator === 'In' || expr.operator === 'NotIn') && count === 0) {
              ctx.addIssue({ code: 'custom', path: ['values'], message: `must be non-empty for operator ${expr.operator}` });
            }
            if ((expr.operator === 'Exists' || expr.operator === 'DoesNotExist') && count > 0) {
              ctx.addIssue({ code: 'custom', path: ['values'], message: `must be empty for operator ${expr.operator}` });
            }
          }),
      )
      .optional(),
  })
  .nullable();

export type LabelSelector = z.infer<typeof labelSelectorSchema>;

/** True when the selector names no requirement at all (`{}`), which matches everything. */
export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

/** Label selector semantics of Kubernetes, with no restriction on label values (as Argo CD). */
export function matchesSelector(selector: NonNullable<LabelSelector>, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expr.key);
    const value = labels[expr.key];
    switch (expr.operator) {
      case 'In':
        if (!has || !expr.values?.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && expr.values?.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
