import { Registry } from 'prom-client';
import { STORE_CALLS_METRIC, countStoreCalls } from '../src/service/store-calls';

class Store {
  #rows = new Map([['a', 1]]);
  async getMany(ids: readonly string[]): Promise<(number | null)[]> {
    return ids.map((id) => this.#rows.get(id) ?? null);
  }
  size(): number {
    return this.#rows.size;
  }
  readonly label = 'rows';
}

async function count(metrics: Registry, store: string, operation: string): Promise<number> {
  const metric = await metrics.getSingleMetric(STORE_CALLS_METRIC)?.get();
  return metric?.values.find((v) => v.labels.store === store && v.labels.operation === operation)?.value ?? 0;
}

describe('countStoreCalls', () => {
  it('counts each call by store and method and returns what the store returns (private fields intact)', async () => {
    const metrics = new Registry();
    const store = countStoreCalls(new Store(), metrics, 'rows');
    expect(await store.getMany(['a', 'b'])).toEqual([1, null]);
    await store.getMany(['a']);
    expect(store.size()).toBe(1);
    expect(store.label).toBe('rows');
    expect(await count(metrics, 'rows', 'getMany')).toBe(2);
    expect(await count(metrics, 'rows', 'size')).toBe(1);
  });

  it('shares one counter between stores of a service and shows it on the registry', async () => {
    const metrics = new Registry();
    await countStoreCalls(new Store(), metrics, 'one').getMany([]);
    await countStoreCalls(new Store(), metrics, 'two').getMany([]);
    const text = await metrics.metrics();
    expect(text).toContain(`${STORE_CALLS_METRIC}{store="one",operation="getMany"} 1`);
    expect(text).toContain(`${STORE_CALLS_METRIC}{store="two",operation="getMany"} 1`);
  });
});
