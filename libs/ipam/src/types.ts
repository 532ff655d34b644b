/** An IPv4 prefix: `first` is the network address as an unsigned 32-bit integer, aligned to `length`. */
export interface Prefix {
  readonly first: number;
  readonly length: number;
}

export type IpamErrorCode =
  | 'CIDR.MALFORMED'
  | 'CIDR.IPV6_UNSUPPORTED'
  | 'CIDR.NOT_NETWORK_ADDRESS'
  | 'CIDR.SPECIAL_PURPOSE'
  | 'CIDR.TOO_LONG'
  | 'CIDR.TOO_SHORT';

export interface SpecialPurposeEntry {
  readonly prefix: string;
  readonly name: string;
  readonly rfc: string;
}

export interface IpamError {
  readonly code: IpamErrorCode;
  readonly message: string;
  /** For CIDR.NOT_NETWORK_ADDRESS: the network it probably meant, e.g. '45.91.20.0/22'. */
  readonly suggestion?: string;
  /** For CIDR.SPECIAL_PURPOSE: the registry entry the prefix overlaps. */
  readonly specialPurpose?: SpecialPurposeEntry;
}

export type IpamResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: IpamError };

export const ADDRESS_SPACE_SIZE = 2 ** 32;
export const MAX_ADDRESS = ADDRESS_SPACE_SIZE - 1;
