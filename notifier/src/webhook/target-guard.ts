/**
 * Webhook targets must be public addresses: a user must not be able to make the notifier POST
 * to its own network (loopback, private ranges, link-local cloud metadata endpoints...). The
 * check runs where the connection is made (a `lookup` for node:http), on every address the
 * name resolves to, so a name that resolves differently the second time (DNS rebinding) is
 * caught too. Only ipaddr.js's `unicast` range counts as public.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/** Public unicast (IPv4-mapped IPv6 judged as the IPv4 address it maps). */
export function isPublicAddress(address: string): boolean {
  return ipaddr.process(address).range() === 'unicast';
}

/** Refuses a URL whose host is a literal non-public IP (node:http does no lookup for those). */
export function checkLiteralHost(url: URL, allowPrivate: boolean): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    throw new TargetRefusedError(`${host} is not a public address`);
  }
}

/** A DNS lookup for node:http that fails when no resolved address may be connected to. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const allowed = allowPrivate
        ? addresses
        : addresses.filter((entry: LookupAddress) => isPublicAddress(entry.address));
      const [first] = allowed;
      if (!first) {
        const seen = addresses.map((entry) => entry.address).join(', ');
        callback(
          Object.assign(
            new TargetRefusedError(`${hostname} resolves to no public address (${seen})`),
            {
              code: 'EREFUSEDTARGET',
            },
          ),
          '',
          0,
        );
        return;
      }
      if (options.all) callback(null, allowed, 0);
      else callback(null, first.address, first.family);
    });
  };
}
