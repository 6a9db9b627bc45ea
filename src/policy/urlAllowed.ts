/**
 * Whether a URL argument may be fetched: its scheme and host are allowed, and no address the host
 * resolves to lies in a blocked range: loopback, private, link-local (cloud metadata at
 * 169.254.169.254 included), unique-local, carrier-grade NAT, multicast, unspecified or
 * reserved, unless an allowed range covers it. Host names are resolved, so a name that points at
 * 127.0.0.1 is blocked like the address. The WHATWG parser normalizes odd encodings
 * (`http://0x7f.1/`, `http://2130706433/`) before the check. A failed lookup is an error, so the
 * rule denies (fail closed). The server resolves the name again when it fetches; a DNS answer that
 * changes in between is not covered by this check.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { isPublicAddress } from './publicAddress.js';
import picomatch from 'picomatch';

export type Lookup = (hostname: string) => Promise<string[]>;

export const systemLookup: Lookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export interface UrlRuleSpec {
  readonly hosts?: readonly string[];
  readonly schemes?: readonly string[];
  readonly allowRanges?: readonly string[];
}

export class UrlRule {
  private readonly hostMatches: ((host: string) => boolean) | undefined;
  private readonly schemes: ReadonlySet<string>;
  private readonly allowRanges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

  constructor(
    spec: UrlRuleSpec,
    private readonly lookup: Lookup,
  ) {
    this.hostMatches = spec.hosts ? picomatch([...spec.hosts].map((host) => host.toLowerCase()), { nocase: true, dot: true }) : undefined;
    this.schemes = new Set((spec.schemes ?? ['http', 'https']).map((scheme) => scheme.toLowerCase().replace(/:$/, '')));
    this.allowRanges = (spec.allowRanges ?? []).map((range) => ipaddr.parseCIDR(range));
  }

  async allows(value: unknown): Promise<boolean> {
    if (typeof value !== 'string') return false;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (!this.schemes.has(url.protocol.replace(/:$/, ''))) return false;
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
    if (!hostname || (this.hostMatches && !this.hostMatches(hostname))) return false;
    const addresses = ipaddr.isValid(hostname) ? [hostname] : await this.lookup(hostname);
    if (addresses.length === 0) throw new Error(`${hostname} resolves to no address`);
    return addresses.every((address) => this.addressAllowed(address));
  }

  private addressAllowed(address: string): boolean {
    const parsed = ipaddr.process(address);
    if (this.allowRanges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits))) return true;
    return isPublicAddress(address);
  }
}
