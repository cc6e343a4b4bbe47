/** What travels through a link: bytes, the sender's FIN, or a toxic's order to close the connection. */
export type Segment =
  | { readonly kind: 'bytes'; readonly payload: Buffer }
  | { readonly kind: 'fin' }
  | { readonly kind: 'close' };

export const FIN: Segment = { kind: 'fin' };
export const CLOSE: Segment = { kind: 'close' };
