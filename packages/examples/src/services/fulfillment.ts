import {
  type JsonReply,
  type JsonRequest,
  type RunningService,
  type ServiceOptions,
  startService,
} from './http-service.js';

/** A fulfillment center and where it is. */
export interface Center {
  id: string;
  name: string;
  lat: number;
  lon: number;
}

/** The centers the service picks from. */
export const centers: readonly Center[] = [
  { id: 'fc-sea', name: 'Seattle', lat: 47.61, lon: -122.33 },
  { id: 'fc-oak', name: 'Oakland', lat: 37.8, lon: -122.27 },
  { id: 'fc-den', name: 'Denver', lat: 39.74, lon: -104.99 },
  { id: 'fc-dfw', name: 'Dallas', lat: 32.78, lon: -96.8 },
  { id: 'fc-chi', name: 'Chicago', lat: 41.88, lon: -87.63 },
  { id: 'fc-atl', name: 'Atlanta', lat: 33.75, lon: -84.39 },
  { id: 'fc-ewr', name: 'Newark', lat: 40.73, lon: -74.17 },
];

/**
 * The cities the service can place, with their coordinates: a small local gazetteer,
 * so no address ever leaves the machine for geocoding. Keys are `city, state`.
 */
export const places: Readonly<Record<string, readonly [number, number]>> = {
  'portland, or': [45.52, -122.68],
  'seattle, wa': [47.61, -122.33],
  'san francisco, ca': [37.77, -122.42],
  'los angeles, ca': [34.05, -118.24],
  'san diego, ca': [32.72, -117.16],
  'phoenix, az': [33.45, -112.07],
  'salt lake city, ut': [40.76, -111.89],
  'denver, co': [39.74, -104.99],
  'austin, tx': [30.27, -97.74],
  'houston, tx': [29.76, -95.37],
  'minneapolis, mn': [44.98, -93.27],
  'chicago, il': [41.88, -87.63],
  'detroit, mi': [42.33, -83.05],
  'nashville, tn': [36.16, -86.78],
  'miami, fl': [25.76, -80.19],
  'atlanta, ga': [33.75, -84.39],
  'washington, dc': [38.91, -77.04],
  'philadelphia, pa': [39.95, -75.17],
  'new york, ny': [40.71, -74.01],
  'boston, ma': [42.36, -71.06],
};

/** Where `address` is (`"12 Main St, Denver, CO 80202"`), or undefined if its city is unknown. */
export function locate(address: string): readonly [number, number] | undefined {
  const parts = address.split(',').map((p) => p.trim().toLowerCase());
  for (let i = 0; i + 1 < parts.length; i++) {
    const state = parts[i + 1]!.split(/\s+/)[0];
    const place = places[`${parts[i]}, ${state}`];
    if (place !== undefined) return place;
  }
  return undefined;
}

/** The center nearest to `[lat, lon]`, and how far it is (great-circle km). */
export function nearestCenter([lat, lon]: readonly [number, number]): {
  center: Center;
  distanceKm: number;
} {
  let best = { center: centers[0]!, distanceKm: Number.POSITIVE_INFINITY };
  for (const center of centers) {
    const distanceKm = haversineKm(lat, lon, center.lat, center.lon);
    if (distanceKm < best.distanceKm) best = { center, distanceKm };
  }
  return { center: best.center, distanceKm: Math.round(best.distanceKm) };
}

function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
}

/**
 * A fake-but-real fulfillment service: `POST /nearest-center { address }` answers
 * `200 { centerId, name, distanceKm }` for the center nearest to the address, or 422
 * when the address's city is not in {@link places}. Slow and flaky as `options` says.
 */
export function startFulfillment(options: ServiceOptions = {}): Promise<RunningService> {
  const handle = (request: JsonRequest): JsonReply | undefined => {
    if (request.method !== 'POST' || request.path !== '/nearest-center') return undefined;
    const { address } = (request.body ?? {}) as { address?: unknown };
    if (typeof address !== 'string') {
      return { status: 422, body: { error: 'Expected { address } as a string.' } };
    }
    const place = locate(address);
    if (place === undefined) {
      return { status: 422, body: { error: `Cannot locate "${address}": unknown city.` } };
    }
    const { center, distanceKm } = nearestCenter(place);
    return { status: 200, body: { centerId: center.id, name: center.name, distanceKm } };
  };
  return startService(
    {
      name: 'fulfillment',
      handle,
      faultKey: (r) => `${r.method} ${r.path} ${(r.body as { address?: string })?.address ?? ''}`,
    },
    options,
  );
}
