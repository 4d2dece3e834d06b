import parsePrometheusTextFormat, { type PrometheusSample } from 'parse-prometheus-text-format';

/** One scrape of a hub's /metrics, parsed as Prometheus does. */
export interface ScrapedMetrics {
  /** The samples of one metric family (none when it is not exported yet). */
  samples(name: string): PrometheusSample[];
  /** The value of the first sample whose labels include `labels`; 0 when there is none (a counter not yet incremented). */
  value(name: string, labels?: Record<string, string>): number;
}

export async function scrapeHubMetrics(hubUrl: string, token: string): Promise<ScrapedMetrics> {
  const response = await fetch(`${hubUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  const families = new Map(parsePrometheusTextFormat(await response.text()).map((family) => [family.name, family]));
  const samples = (name: string): PrometheusSample[] => families.get(name)?.metrics ?? [];
  return {
    samples,
    value: (name, labels = {}) => {
      const sample = samples(name).find((m) => Object.entries(labels).every(([key, value]) => m.labels?.[key] === value));
      return Number(sample?.value ?? sample?.count ?? 0);
    },
  };
}
