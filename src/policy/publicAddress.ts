/** Whether an IP address is a public unicast one: not private, loopback, link-local (cloud metadata), multicast or reserved. */
import ipaddr from 'ipaddr.js';

export function isPublicAddress(address: string): boolean {
  return ipaddr.process(address).range() === 'unicast';
}
